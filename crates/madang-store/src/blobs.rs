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
                // object_store's client speaks TLS through rustls with the
                // process's provider; ring is the one this build has. An
                // error means one is installed already, which serves too.
                let _ = rustls::crypto::ring::default_provider().install_default();
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

    /// The object, or `None` when there is none under `key`.
    pub async fn get_if_exists(&self, key: &str) -> Result<Option<Bytes>> {
        match self.inner.get(&Path::from(key)).await {
            Ok(got) => Ok(Some(got.bytes().await?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Every object: its key and size, in key order (for a backup).
    pub async fn list(&self) -> Result<Vec<(String, u64)>> {
        use futures::TryStreamExt;
        let mut all: Vec<(String, u64)> = self
            .inner
            .list(None)
            .map_ok(|m| (m.location.to_string(), m.size))
            .try_collect()
            .await?;
        all.sort();
        Ok(all)
    }

    /// Deletes the object; one that is already gone is not an error.
    pub async fn delete(&self, key: &str) -> Result<()> {
        match self.inner.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::Bytes as Body;
    use axum::extract::{Path as UrlPath, State};
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::put;
    use std::collections::HashMap;
    use std::sync::Mutex;

    type Objects = Arc<Mutex<HashMap<String, Vec<u8>>>>;

    /// Enough of S3 on 127.0.0.1 for a put, a get and a delete: objects by
    /// path, an ETag on each answer, and the signature header required on
    /// puts.
    async fn fake_s3() -> (String, Objects) {
        let objects: Objects = Arc::default();
        async fn store(
            State(o): State<Objects>,
            UrlPath(key): UrlPath<String>,
            h: HeaderMap,
            body: Body,
        ) -> (StatusCode, HeaderMap) {
            let mut out = HeaderMap::new();
            if !h
                .get("authorization")
                .is_some_and(|a| a.as_bytes().starts_with(b"AWS4-HMAC-SHA256"))
            {
                return (StatusCode::FORBIDDEN, out);
            }
            o.lock().map(|mut m| m.insert(key, body.to_vec())).ok();
            out.insert("etag", "\"1\"".parse().expect("etag"));
            (StatusCode::OK, out)
        }
        async fn fetch(
            State(o): State<Objects>,
            UrlPath(key): UrlPath<String>,
        ) -> (StatusCode, HeaderMap, Vec<u8>) {
            let mut out = HeaderMap::new();
            out.insert("etag", "\"1\"".parse().expect("etag"));
            out.insert(
                "last-modified",
                "Sun, 06 Dec 2026 00:00:00 GMT".parse().expect("date"),
            );
            match o.lock().ok().and_then(|m| m.get(&key).cloned()) {
                Some(bytes) => (StatusCode::OK, out, bytes),
                None => (StatusCode::NOT_FOUND, out, Vec::new()),
            }
        }
        // DeleteObjects: `POST /{bucket}?delete` with the keys in XML.
        async fn remove(State(o): State<Objects>, UrlPath(bucket): UrlPath<String>, body: String) -> String {
            let mut deleted = String::new();
            for part in body.split("<Key>").skip(1) {
                let key = part.split("</Key>").next().unwrap_or_default();
                o.lock().map(|mut m| m.remove(&format!("{bucket}/{key}"))).ok();
                deleted.push_str(&format!("<Deleted><Key>{key}</Key></Deleted>"));
            }
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><DeleteResult>{deleted}</DeleteResult>")
        }
        let app = Router::new()
            .route("/{*key}", put(store).get(fetch).post(remove))
            .with_state(objects.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        (base, objects)
    }

    #[tokio::test]
    async fn the_s3_store_signs_puts_and_reads_them_back() {
        // SAFETY (of the test): credentials for the fake only, set before
        // any other thread reads the environment in this test binary.
        unsafe {
            std::env::set_var("AWS_ACCESS_KEY_ID", "test");
            std::env::set_var("AWS_SECRET_ACCESS_KEY", "test-secret");
        }
        let (base, objects) = fake_s3().await;
        let store = BlobStore::open(&BlobStoreConfig::S3 {
            bucket: "media".into(),
            endpoint: Some(base),
            region: "us-east-1".into(),
        })
        .expect("store");
        store
            .put("photos/1.jpg", Bytes::from_static(b"jpeg bytes"))
            .await
            .expect("put");
        assert!(objects.lock().expect("lock").contains_key("media/photos/1.jpg"));
        assert_eq!(
            store.get("photos/1.jpg").await.expect("get"),
            Bytes::from_static(b"jpeg bytes")
        );
        store.delete("photos/1.jpg").await.expect("delete");
        assert!(objects.lock().expect("lock").is_empty());
    }

    #[tokio::test]
    async fn an_https_s3_endpoint_gets_a_client_without_a_crypto_provider_panic() {
        let store = BlobStore::open(&BlobStoreConfig::S3 {
            bucket: "media".into(),
            endpoint: Some("https://s3.example.invalid".into()),
            region: "eu-west-1".into(),
        });
        assert!(store.is_ok(), "{store:?}");
    }
}
