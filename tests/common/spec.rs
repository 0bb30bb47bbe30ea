//! Example bodies from Alpaca's OpenAPI documents, vendored in `tests/fixtures/openapi/`.

use serde_json::Value;
use std::sync::OnceLock;

/// Which of the two documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spec {
    Trading,
    MarketData,
}

impl Spec {
    pub fn file(self) -> &'static str {
        match self {
            Spec::Trading => "trading-api.json",
            Spec::MarketData => "market-data-api.json",
        }
    }

    /// The parsed document (read once per test binary).
    pub fn doc(self) -> &'static Value {
        static TRADING: OnceLock<Value> = OnceLock::new();
        static DATA: OnceLock<Value> = OnceLock::new();
        let cell = match self {
            Spec::Trading => &TRADING,
            Spec::MarketData => &DATA,
        };
        cell.get_or_init(|| {
            let p = format!(
                "{}/tests/fixtures/openapi/{}",
                env!("CARGO_MANIFEST_DIR"),
                self.file()
            );
            let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{p}: {e}"))
        })
    }

    /// A component schema's example (`example`, else the first of `x-examples`).
    pub fn schema_example(self, name: &str) -> Value {
        let schema = &self.doc()["components"]["schemas"][name];
        example_of(schema).unwrap_or_else(|| panic!("schema {name} has no example"))
    }

    /// The example of the 200 response of `method path`: the response's own example, else
    /// its schema's (following one `$ref`).
    pub fn response_example(self, method: &str, path: &str) -> Value {
        let op = &self.doc()["paths"][path][method.to_ascii_lowercase()];
        let content = &op["responses"]["200"]["content"]["application/json"];
        if let Some(v) = content["examples"]
            .as_object()
            .and_then(|m| m.values().next())
        {
            return v["value"].clone();
        }
        if !content["example"].is_null() {
            return content["example"].clone();
        }
        let schema = &content["schema"];
        if let Some(v) = example_of(schema) {
            return v;
        }
        let name = schema["$ref"]
            .as_str()
            .and_then(|r| r.rsplit('/').next())
            .unwrap_or_else(|| panic!("{method} {path}: no example and no $ref"));
        self.schema_example(name)
    }
}

fn example_of(schema: &Value) -> Option<Value> {
    if !schema["example"].is_null() {
        return Some(schema["example"].clone());
    }
    schema["x-examples"]
        .as_object()
        .and_then(|m| m.values().next())
        .cloned()
}
