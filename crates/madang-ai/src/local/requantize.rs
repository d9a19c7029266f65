//! Re-quantizing a GGUF file to Q8_0, once, when `models pull` fetches
//! it: the default SmolLM2 ships as Q4_1, whose blocks (a scale and a
//! minimum per 32 weights) the built-in runtime would have to widen on
//! every read; Q8_0 (one scale, signed bytes) it reads as stored, and its
//! dot products run on AVX2 byte arithmetic. The metadata is kept as it
//! is but for the file type; vectors (norms) stay f32.

use crate::AiError;
use candle_core::Device;
use candle_core::quantized::{GgmlDType, QTensor, gguf_file};
use std::path::Path;

/// GGUF's `general.file_type` for "mostly Q8_0".
const FILE_TYPE_Q8_0: u32 = 7;

/// Writes `from` re-quantized to Q8_0 as `to` (through a temporary name,
/// so a reader never sees half a file); `progress(done, total)` after
/// each tensor.
pub fn to_q8_0(from: &Path, to: &Path, progress: &mut dyn FnMut(usize, usize)) -> Result<(), AiError> {
    let fail = |e: &dyn std::fmt::Display| AiError::Load(format!("re-quantizing {}: {e}", from.display()));
    let mut reader = std::io::BufReader::new(std::fs::File::open(from).map_err(|e| fail(&e))?);
    let content = gguf_file::Content::read(&mut reader).map_err(|e| fail(&e))?;
    let mut names: Vec<&String> = content.tensor_infos.keys().collect();
    names.sort();
    let total = names.len();
    let mut tensors = Vec::with_capacity(total);
    for (i, name) in names.iter().enumerate() {
        let tensor = content
            .tensor(&mut reader, name, &Device::Cpu)
            .map_err(|e| fail(&e))?;
        tensors.push(((*name).clone(), requantize(tensor).map_err(|e| fail(&e))?));
        progress(i + 1, total);
    }
    let file_type = gguf_file::Value::U32(FILE_TYPE_Q8_0);
    let mut metadata: Vec<(&str, &gguf_file::Value)> = content
        .metadata
        .iter()
        .map(|(k, v)| match k.as_str() {
            "general.file_type" => (k.as_str(), &file_type),
            _ => (k.as_str(), v),
        })
        .collect();
    metadata.sort_by_key(|(k, _)| *k);
    let refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();
    let part = to.with_extension("gguf.part");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&part).map_err(|e| fail(&e))?);
    gguf_file::write(&mut out, &metadata, &refs).map_err(|e| fail(&e))?;
    let file = out.into_inner().map_err(|e| fail(&e))?;
    file.sync_all().map_err(|e| fail(&e))?;
    std::fs::rename(&part, to).map_err(|e| fail(&e))?;
    Ok(())
}

/// Matrices whose rows fill whole blocks become Q8_0; the rest stays.
fn requantize(tensor: QTensor) -> candle_core::Result<QTensor> {
    let dims = tensor.shape().dims();
    let matrix = dims.len() == 2 && dims[1] % GgmlDType::Q8_0.block_size() == 0;
    if !matrix || matches!(tensor.dtype(), GgmlDType::Q8_0 | GgmlDType::F32) {
        return Ok(tensor);
    }
    QTensor::quantize(&tensor.dequantize(&Device::Cpu)?, GgmlDType::Q8_0)
}
