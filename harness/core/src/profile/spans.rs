//! Where each part of a profile sits in its file: line and column of every value, so a finding
//! (a failing cell, a lint, an unproven rule) points at the rule that decided it or at
//! `defaultAction`. SARIF annotations in a pull request land on that line.
//!
//! serde_json keeps no positions for values it has read, so this is a second, small pass over
//! the same text: a JSON reader that builds only a tree of spans. It accepts what serde_json
//! accepts for a profile; on text it cannot read it gives no spans, and the findings then
//! point at the file alone (the profile itself would not have parsed).

use std::collections::BTreeMap;

/// A position in a file: 1-based line and column, the column counted in Unicode code points
/// (SARIF's `unicodeCodePoints` column kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

/// Where a value starts and ends (`end` is just past its last character).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: Pos,
    pub end: Pos,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    /// Each key with where the key itself starts, and its value.
    Object(BTreeMap<String, (Pos, Spanned)>),
    Array(Vec<Spanned>),
    Scalar,
}

#[derive(Debug, Clone, PartialEq)]
struct Spanned {
    span: Span,
    node: Node,
}

/// The spans of a profile document. Paths are the ones `check` names (`defaultAction`,
/// `syscalls[3]`, `syscalls[3].errnoRet`), relative to the seccomp object: the document
/// itself, or `linux.seccomp` of an OCI runtime config.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceMap {
    root: Spanned,
}

impl SourceMap {
    /// Reads the spans of `text`; `None` when it is not JSON.
    pub fn of(text: &str) -> Option<SourceMap> {
        let mut r = Reader::new(text);
        r.ws();
        let root = r.value()?;
        r.ws();
        if r.peek().is_some() {
            return None;
        }
        // An OCI runtime config holds the profile at linux.seccomp.
        let seccomp = match &root.node {
            Node::Object(keys) if keys.contains_key("linux") || keys.contains_key("ociVersion") => {
                let linux = keys.get("linux").map(|(_, v)| v);
                match linux.map(|l| &l.node) {
                    Some(Node::Object(l)) => l.get("seccomp").map(|(_, v)| v.clone()),
                    _ => None,
                }
            }
            _ => Some(root.clone()),
        }?;
        Some(SourceMap { root: seccomp })
    }

    /// The rule at `index` of `syscalls`: from its `names` (or `name`) key, which is the line
    /// a reader looks for, to the end of the rule's object.
    pub fn rule(&self, index: usize) -> Option<Span> {
        let rule = self.value(&format!("syscalls[{index}]"))?;
        let start = match &rule.node {
            Node::Object(keys) => keys
                .get("names")
                .or_else(|| keys.get("name"))
                .map_or(rule.span.start, |(at, _)| *at),
            _ => rule.span.start,
        };
        Some(Span {
            start,
            end: rule.span.end,
        })
    }

    /// How many rules `syscalls` holds.
    pub(crate) fn rule_count(&self) -> usize {
        match self.value("syscalls").map(|v| &v.node) {
            Some(Node::Array(items)) => items.len(),
            _ => 0,
        }
    }

    /// The `defaultAction` key and its value; the document's start where it has none.
    pub fn default_action(&self) -> Span {
        self.key("defaultAction").unwrap_or(Span {
            start: self.root.span.start,
            end: self.root.span.start,
        })
    }

    /// A path as `check` names it: the key with its value for an object member, the value
    /// for an array element. Falls back to the nearest enclosing part that exists, so a
    /// warning about a missing field still points inside the right rule.
    pub fn locate(&self, path: &str) -> Span {
        let steps = steps(path);
        if let [Step::Key("syscalls"), Step::Index(i)] = steps.as_slice() {
            if let Some(rule) = self.rule(*i) {
                return rule;
            }
        }
        for n in (0..=steps.len()).rev() {
            let prefix = &steps[..n];
            if let Some((Step::Key(k), parent)) = prefix.split_last() {
                if let Some(Node::Object(keys)) = self.walk(parent).map(|v| &v.node) {
                    if let Some((at, v)) = keys.get(*k) {
                        return Span {
                            start: *at,
                            end: v.span.end,
                        };
                    }
                }
            } else if let Some(v) = self.walk(prefix) {
                return v.span;
            }
        }
        self.root.span
    }

    fn key(&self, key: &str) -> Option<Span> {
        match &self.root.node {
            Node::Object(keys) => keys.get(key).map(|(at, v)| Span {
                start: *at,
                end: v.span.end,
            }),
            _ => None,
        }
    }

    fn value(&self, path: &str) -> Option<&Spanned> {
        self.walk(&steps(path))
    }

    fn walk(&self, steps: &[Step<'_>]) -> Option<&Spanned> {
        let mut at = &self.root;
        for step in steps {
            at = match (step, &at.node) {
                (Step::Key(k), Node::Object(keys)) => &keys.get(*k)?.1,
                (Step::Index(i), Node::Array(items)) => items.get(*i)?,
                _ => return None,
            };
        }
        Some(at)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// `syscalls[3].args[0].op` → Key(syscalls) Index(3) Key(args) Index(0) Key(op). Anything
/// that does not read as a step ends the path there.
fn steps(path: &str) -> Vec<Step<'_>> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let mut pieces = part.split('[');
        if let Some(key) = pieces.next().filter(|k| !k.is_empty()) {
            out.push(Step::Key(key));
        }
        for idx in pieces {
            match idx.strip_suffix(']').and_then(|i| i.parse().ok()) {
                Some(i) => out.push(Step::Index(i)),
                None => return out,
            }
        }
    }
    out
}

/// A JSON reader that keeps positions and nothing else of scalars.
struct Reader<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    pos: Pos,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str) -> Self {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        Reader {
            chars: text.chars().peekable(),
            pos: Pos { line: 1, column: 1 },
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.chars.peek().copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        if c == '\n' {
            self.pos.line += 1;
            self.pos.column = 1;
        } else {
            self.pos.column += 1;
        }
        Some(c)
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t' | '\n' | '\r')) {
            self.bump();
        }
    }

    fn eat(&mut self, c: char) -> Option<()> {
        (self.bump()? == c).then_some(())
    }

    fn value(&mut self) -> Option<Spanned> {
        let start = self.pos;
        let node = match self.peek()? {
            '{' => self.object()?,
            '[' => self.array()?,
            '"' => {
                self.string()?;
                Node::Scalar
            }
            _ => {
                let mut any = false;
                while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || "+-.".contains(c))
                {
                    self.bump();
                    any = true;
                }
                if !any {
                    return None;
                }
                Node::Scalar
            }
        };
        Some(Spanned {
            span: Span {
                start,
                end: self.pos,
            },
            node,
        })
    }

    fn string(&mut self) -> Option<String> {
        self.eat('"')?;
        let mut s = String::new();
        loop {
            match self.bump()? {
                '"' => return Some(s),
                '\\' => {
                    // Keys that matter here are plain ASCII; an escape is kept as its letter.
                    let c = self.bump()?;
                    if c == 'u' {
                        for _ in 0..4 {
                            self.bump()?;
                        }
                    }
                    s.push(c);
                }
                c => s.push(c),
            }
        }
    }

    fn object(&mut self) -> Option<Node> {
        self.eat('{')?;
        let mut keys = BTreeMap::new();
        self.ws();
        if self.peek()? == '}' {
            self.bump();
            return Some(Node::Object(keys));
        }
        loop {
            self.ws();
            let at = self.pos;
            let key = self.string()?;
            self.ws();
            self.eat(':')?;
            self.ws();
            let v = self.value()?;
            // serde_json keeps the last of duplicate keys too.
            keys.insert(key, (at, v));
            self.ws();
            match self.bump()? {
                ',' => continue,
                '}' => return Some(Node::Object(keys)),
                _ => return None,
            }
        }
    }

    fn array(&mut self) -> Option<Node> {
        self.eat('[')?;
        let mut items = Vec::new();
        self.ws();
        if self.peek()? == ']' {
            self.bump();
            return Some(Node::Array(items));
        }
        loop {
            self.ws();
            items.push(self.value()?);
            self.ws();
            match self.bump()? {
                ',' => continue,
                ']' => return Some(Node::Array(items)),
                _ => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROFILE: &str = r#"{
  "defaultAction": "SCMP_ACT_ERRNO",
  "syscalls": [
    {
      "names": ["getpid"],
      "action": "SCMP_ACT_ALLOW"
    },
    { "name": "mkdir", "action": "SCMP_ACT_ERRNO", "errnoRet": 38 }
  ]
}"#;

    fn at(line: usize, column: usize) -> Pos {
        Pos { line, column }
    }

    #[test]
    fn rules_point_at_their_names_and_default_at_its_key() {
        let m = SourceMap::of(PROFILE).unwrap();
        assert_eq!(m.rule_count(), 2);
        assert_eq!(m.rule(0).unwrap().start, at(5, 7));
        assert_eq!(m.rule(0).unwrap().end, at(7, 6));
        assert_eq!(m.rule(1).unwrap().start, at(8, 7));
        assert_eq!(m.rule(2), None);
        assert_eq!(m.default_action().start, at(2, 3));
        assert_eq!(m.default_action().end, at(2, 36));
    }

    #[test]
    fn check_paths_are_located_or_fall_back_to_what_encloses_them() {
        let m = SourceMap::of(PROFILE).unwrap();
        assert_eq!(m.locate("syscalls[1].errnoRet").start, at(8, 52));
        // A field the rule lacks: the rule itself.
        assert_eq!(m.locate("syscalls[0].errnoRet").start, at(4, 5));
        assert_eq!(m.locate("architectures").start, at(1, 1));
        // A rule as a whole: like `rule`, at its names.
        assert_eq!(m.locate("syscalls[0]").start, at(5, 7));
    }

    #[test]
    fn an_oci_config_is_read_at_linux_seccomp() {
        let text = "{\"ociVersion\":\"1.0.2\",\n\"linux\":{\"seccomp\":{\n\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"a\"],\"action\":\"SCMP_ACT_ERRNO\"}]}}}";
        let m = SourceMap::of(text).unwrap();
        assert_eq!(m.default_action().start, at(3, 1));
        assert_eq!(m.rule(0).unwrap().start, at(3, 47));
    }

    #[test]
    fn text_that_is_not_json_has_no_spans() {
        assert_eq!(SourceMap::of("{\"a\": }"), None);
        assert_eq!(SourceMap::of("{} x"), None);
        assert_eq!(SourceMap::of(""), None);
    }

    #[test]
    fn columns_count_code_points() {
        let m = SourceMap::of("{\"comment\":\"ü\",\"defaultAction\":\"SCMP_ACT_ALLOW\"}").unwrap();
        assert_eq!(m.default_action().start, at(1, 16));
    }
}
