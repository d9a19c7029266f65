//! Decoding client frames and encoding server frames.

use madang_types::events::{ClientFrame, ServerFrame};

/// Why a text frame was refused.
#[derive(Debug, PartialEq, Eq)]
pub struct FrameError(pub String);

/// Parses one client text frame. Never panics, whatever the input.
pub fn decode_client_frame(text: &str) -> Result<ClientFrame, FrameError> {
    serde_json::from_str(text).map_err(|e| FrameError(e.to_string()))
}

pub fn encode(frame: &ServerFrame) -> String {
    // Serialising our own types cannot fail; keep a valid frame regardless.
    serde_json::to_string(frame)
        .unwrap_or_else(|_| r#"{"type":"error","code":"internal","message":"encoding failed"}"#.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decodes_known_frames_and_refuses_the_rest() {
        assert!(matches!(
            decode_client_frame(r#"{"type":"ping"}"#),
            Ok(ClientFrame::Ping)
        ));
        let send = r#"{"type":"send","room_id":3,"client_id":"c1","text":"hi"}"#;
        assert!(matches!(decode_client_frame(send), Ok(ClientFrame::Send { .. })));
        let resume = r#"{"type":"resume","cursors":{"12":40}}"#;
        assert!(
            matches!(decode_client_frame(resume), Ok(ClientFrame::Resume { cursors }) if cursors.len() == 1)
        );
        for bad in [
            "",
            "{",
            "null",
            "[]",
            r#"{"type":"nope"}"#,
            r#"{"type":"read","room_id":"x","seq":1}"#,
        ] {
            assert!(decode_client_frame(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in "\\PC*") {
            let _ = decode_client_frame(&s);
        }

        #[test]
        fn json_shaped_garbage_never_panics(
            ty in prop_oneof![
                Just("send".to_owned()),
                Just("read".to_owned()),
                Just("typing".to_owned()),
                Just("resume".to_owned()),
                "[a-z]{0,8}",
            ],
            room in proptest::num::i64::ANY,
            body in "[ -~]{0,40}",
        ) {
            let text = format!(r#"{{"type":"{ty}","room_id":{room},"seq":{room},"client_id":"{body}","cursors":{{"{room}":{room}}}}}"#);
            let _ = decode_client_frame(&text);
        }
    }
}
