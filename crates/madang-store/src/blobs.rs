//! Blob storage for media bytes: a local folder by default, any
//! S3-compatible store when configured, so that every node of a cluster
//! serves every file.

use crate::Result;
use bytes::Bytes;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use std::sync::Arc;

/// Where media bytes go.
#[derive(Clone, Debug)]
pub enum BlobStoreConfig {
    /// A folder on this machine (created if missing).
    Local { root: std::path::PathBuf },
    /// An S3-compatible bucket (MinIO, Garage, AWS…). Credentials come from
    /// the standard `AWS_*` environment variables.
    S3 {
        bucket: String,
        endpoint: Option<String>,
        region: String,
    },
}

#[derive(Clone, Debug)]
pub struct BlobStore {
    inner: Arc<dyn ObjectStore>,
}

impl BlobStore {
    pub fn open(config: &BlobStoreConfig) -> Result<Self> {
        let inner: Arc<dyn ObjectStore> = match config {
            BlobStoreConfig::Local { root } => {
                std::fs::create_dir_all(root).map_err(|e| object_store::Error::Generic {
                    store: "local",
                    source: Box::new(e),
                })?;
                Arc::new(LocalFileSystem::new_with_prefix(root)?)
            }
            BlobStoreConfig::S3 {
                bucket,
                endpoint,
                region,
            } => {
                let mut b = AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .with_region(region);
                if let Some(endpoint) = endpoint {
                    b = b.with_endpoint(endpoint).with_allow_http(true);
                }
                Arc::new(b.build()?)
            }
        };
        Ok(BlobStore { inner })
    }

    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<()> {
        self.inner.put(&Path::from(key), PutPayload::from(bytes)).await?;
        Ok(())
    }

    pub async fn get(&self, key: &str) -> Result<Bytes> {
        Ok(self.inner.get(&Path::from(key)).await?.bytes().await?)
    }

    /// Deletes the object; one that is already gone is not an error.
    pub async fn delete(&self, key: &str) -> Result<()> {
        match self.inner.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
