//! Coverage of Alpaca's published API, checked against the OpenAPI documents vendored in
//! `tests/fixtures/openapi/`:
//!
//! - every in-scope operation has a client method or a written reason (and nothing else is
//!   listed);
//! - every listed method sends exactly the operation it claims, with only query parameters and
//!   body fields the spec documents for it;
//! - the README's coverage table is the one generated from the same list.
//!
//! `ALPACA_EXEC_BLESS=1 cargo test --test coverage` rewrites the README table.

#[path = "../common/mod.rs"]
mod common;
mod operations;
mod readme;

use common::spec::Spec;
use operations::{Coverage, Entry, entries, out_of_scope};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// An operation of a spec.
#[derive(Debug, Clone)]
pub struct SpecOp {
    pub spec: Spec,
    pub method: &'static str,
    pub path: String,
    pub summary: String,
    /// Documented query parameters.
    pub query: BTreeSet<String>,
    /// Documented top-level JSON body fields, when the spec lists them.
    pub body: Option<BTreeSet<String>>,
}

impl SpecOp {
    pub fn key(&self) -> (String, String) {
        (self.method.to_owned(), self.path.clone())
    }

    /// Whether a request path fits this operation's path template.
    fn matches_path(&self, path: &str) -> bool {
        let want: Vec<&str> = self.path.split('/').collect();
        let got: Vec<&str> = path.split('/').collect();
        want.len() == got.len()
            && want.iter().zip(&got).all(|(w, g)| {
                if w.starts_with('{') && w.ends_with('}') {
                    !g.is_empty()
                } else {
                    w == g
                }
            })
    }
}

/// Follows a local `$ref` once.
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v["$ref"].as_str() {
        Some(r) => r
            .trim_start_matches("#/")
            .split('/')
            .fold(doc, |node, part| &node[part]),
        None => v,
    }
}

/// Top-level properties of a schema, through `$ref`, `allOf`, `oneOf` and `anyOf`.
fn properties(doc: &Value, schema: &Value, out: &mut BTreeSet<String>) -> bool {
    let schema = resolve(doc, schema);
    let mut found = false;
    if let Some(p) = schema["properties"].as_object() {
        out.extend(p.keys().cloned());
        found = true;
    }
    for combo in ["allOf", "oneOf", "anyOf"] {
        for part in schema[combo].as_array().into_iter().flatten() {
            found |= properties(doc, part, out);
        }
    }
    found
}

/// Every operation of both documents.
pub fn spec_operations() -> Vec<SpecOp> {
    let mut ops = Vec::new();
    for spec in [Spec::Trading, Spec::MarketData] {
        let doc = spec.doc();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            let shared: Vec<&Value> = item["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .collect();
            for method in METHODS {
                let op = &item[method.to_ascii_lowercase()];
                if op.is_null() {
                    continue;
                }
                let params = shared
                    .iter()
                    .copied()
                    .chain(op["parameters"].as_array().into_iter().flatten())
                    .map(|p| resolve(doc, p));
                let query = params
                    .filter(|p| p["in"] == "query")
                    .filter_map(|p| p["name"].as_str().map(str::to_owned))
                    .collect();
                let schema = &op["requestBody"]["content"]["application/json"]["schema"];
                let mut fields = BTreeSet::new();
                let body =
                    (!schema.is_null() && properties(doc, schema, &mut fields)).then_some(fields);
                ops.push(SpecOp {
                    spec,
                    method,
                    path: path.clone(),
                    summary: op["summary"].as_str().unwrap_or_default().to_owned(),
                    query,
                    body,
                });
            }
        }
    }
    ops
}

#[test]
fn every_in_scope_operation_has_a_method_or_a_reason() {
    let ops = spec_operations();
    assert!(
        ops.len() > 100,
        "both documents read: {} operations",
        ops.len()
    );
    let in_scope: BTreeSet<(String, String)> = ops
        .iter()
        .filter(|o| out_of_scope(&o.path).is_none())
        .map(SpecOp::key)
        .collect();
    let table = entries();
    let mut listed = BTreeSet::new();
    for e in &table {
        let key = (e.method.to_owned(), e.path.to_owned());
        assert!(listed.insert(key.clone()), "listed twice: {key:?}");
        if let Coverage::Excluded(reason) = &e.coverage {
            assert!(
                reason.len() > 40,
                "{key:?}: a reason says why, in a sentence: {reason:?}"
            );
        }
    }
    let missing: Vec<_> = in_scope.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&in_scope).collect();
    assert!(
        missing.is_empty(),
        "in-scope operations with neither a method nor a reason (add them to \
         tests/coverage/operations.rs): {missing:#?}"
    );
    assert!(
        stale.is_empty(),
        "listed operations that are not in-scope operations of the specs (renamed, removed, \
         or out of scope): {stale:#?}"
    );
}

#[test]
fn out_of_scope_is_only_what_the_crate_leaves_out() {
    // The areas the crate leaves out, and nothing that trades or prices US stocks or options.
    let ops = spec_operations();
    let areas: BTreeSet<&str> = ops.iter().filter_map(|o| out_of_scope(&o.path)).collect();
    assert_eq!(
        areas,
        BTreeSet::from([
            "Crypto",
            "Crypto perpetual futures",
            "Crypto wallets and transfers",
            "Fixed income",
            "Forex",
            "Tokenization",
        ])
    );
    for o in &ops {
        if out_of_scope(&o.path).is_some() {
            assert!(
                !o.path.contains("/stocks") && !o.path.contains("/options"),
                "{} {} is about stocks or options",
                o.method,
                o.path
            );
        }
    }
}

/// Query keys and body fields a request sent.
fn sent(req: &wiremock::Request) -> (BTreeSet<String>, BTreeSet<String>) {
    let query = req.url.query_pairs().map(|(k, _)| k.into_owned()).collect();
    let body = serde_json::from_slice::<Value>(&req.body)
        .ok()
        .and_then(|v| v.as_object().map(|m| m.keys().cloned().collect()))
        .unwrap_or_default();
    (query, body)
}

#[tokio::test]
async fn each_method_sends_the_operation_it_claims() {
    let ops: BTreeMap<(String, String), SpecOp> = spec_operations()
        .into_iter()
        .map(|o| (o.key(), o))
        .collect();
    let server = MockServer::start().await;
    let client = common::builder(&server).build().unwrap();
    let mut failures = Vec::new();
    for Entry {
        method,
        path,
        coverage,
    } in entries()
    {
        let Coverage::Method { name, call } = coverage else {
            continue;
        };
        let op = &ops[&(method.to_owned(), path.to_owned())];
        server.reset().await;
        // Any answer will do: only the request is checked here (the endpoint tests check
        // decoding). An empty object ends paging and fails decoding quietly.
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
            .mount(&server)
            .await;
        call(client.clone()).await;
        let received = server.received_requests().await.unwrap_or_default();
        if received.is_empty() {
            failures.push(format!("{name}: sent nothing for {method} {path}"));
            continue;
        }
        for r in &received {
            let what = format!("{name} for {method} {path}: sent {} {}", r.method, r.url);
            if r.method.as_str() != method || !op.matches_path(r.url.path()) {
                failures.push(format!("{what}: not this operation"));
                continue;
            }
            let (query, body) = sent(r);
            let undocumented: Vec<_> = query.difference(&op.query).collect();
            if !undocumented.is_empty() {
                failures.push(format!("{what}: undocumented query {undocumented:?}"));
            }
            if let Some(documented) = &op.body {
                let extra: Vec<_> = body.difference(documented).collect();
                if !extra.is_empty() {
                    failures.push(format!("{what}: undocumented body fields {extra:?}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn readme_table_is_current() {
    readme::check_or_bless(&spec_operations(), &entries());
}
