//! Campaign templates: text with `#{variable}` placeholders. A template is
//! parsed once and checked for unknown variables when a campaign is made;
//! each recipient's copy is rendered from the campaign's values, the
//! recipient's attributes and the built-ins (`#{name}`, `#{channel}`).

/// A variable's name: 1–30 letters (any script), digits or `_`.
fn valid_name(name: &str) -> bool {
    let n = name.chars().count();
    (1..=30).contains(&n) && name.chars().all(|c| c.is_alphanumeric() || c == '_')
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Var(String),
}

/// Why a template does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateError {
    /// `#{` without its `}`.
    Unclosed,
    /// `#{}` or a name with other characters.
    BadName(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    pieces: Vec<Piece>,
}

impl Template {
    pub fn parse(raw: &str) -> Result<Template, TemplateError> {
        let mut pieces = Vec::new();
        let mut rest = raw;
        while let Some(start) = rest.find("#{") {
            if start > 0 {
                pieces.push(Piece::Text(rest[..start].to_owned()));
            }
            let after = &rest[start + 2..];
            let end = after.find('}').ok_or(TemplateError::Unclosed)?;
            let name = &after[..end];
            if !valid_name(name) {
                return Err(TemplateError::BadName(name.to_owned()));
            }
            pieces.push(Piece::Var(name.to_owned()));
            rest = &after[end + 1..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Text(rest.to_owned()));
        }
        Ok(Template { pieces })
    }

    /// Each variable the template names, once, in order of first use.
    pub fn variables(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for p in &self.pieces {
            if let Piece::Var(v) = p
                && !out.contains(&v.as_str())
            {
                out.push(v);
            }
        }
        out
    }

    /// The text with every variable replaced, or the first variable
    /// `value` has nothing for.
    pub fn render<'a>(&self, value: impl Fn(&str) -> Option<&'a str>) -> Result<String, String> {
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Var(v) => out.push_str(value(v).ok_or_else(|| v.clone())?),
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_text_and_variables() {
        let t = Template::parse("#{name}님, #{쿠폰} 드려요 #{name}").unwrap();
        assert_eq!(t.variables(), vec!["name", "쿠폰"]);
        let out = t
            .render(|v| match v {
                "name" => Some("민지"),
                "쿠폰" => Some("20% 할인"),
                _ => None,
            })
            .unwrap();
        assert_eq!(out, "민지님, 20% 할인 드려요 민지");
    }

    #[test]
    fn plain_text_and_lone_hashes_stay() {
        let t = Template::parse("#1 best # deal {x}").unwrap();
        assert!(t.variables().is_empty());
        assert_eq!(t.render(|_| None).unwrap(), "#1 best # deal {x}");
    }

    #[test]
    fn refuses_unclosed_and_bad_names() {
        assert_eq!(Template::parse("hi #{name"), Err(TemplateError::Unclosed));
        assert_eq!(Template::parse("#{}"), Err(TemplateError::BadName(String::new())));
        assert_eq!(
            Template::parse("#{a b}"),
            Err(TemplateError::BadName("a b".into()))
        );
    }

    #[test]
    fn render_names_the_missing_variable() {
        let t = Template::parse("#{a} and #{b}").unwrap();
        assert_eq!(t.render(|v| (v == "a").then_some("1")), Err("b".to_owned()));
    }

    #[test]
    fn a_value_that_looks_like_a_placeholder_is_not_expanded() {
        let t = Template::parse("#{a}").unwrap();
        assert_eq!(t.render(|_| Some("#{a}")).unwrap(), "#{a}");
    }
}
