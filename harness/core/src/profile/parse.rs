//! Reading a profile: JSON → [`Profile`], rejecting what Docker or the runtime would reject (or
//! would mangle) with an error that names the file and, where serde_json knows it, the line and
//! column.
//!
//! Field names and types follow moby's `Seccomp` (profiles/seccomp/seccomp.go) and the OCI
//! runtime-spec `LinuxSeccomp`. Go's decoder lets `null` stand for any field's zero value, so
//! every field here is optional. Per-rule and per-document checks run inside deserialization
//! (`try_from`), which is what gives them a position.

use super::kernel::{KernelVersion, KernelVersionError};
use super::model::{
    Action, ArchMapEntry, Arches, ArgCond, Filter, Format, Op, Profile, Rule, KNOWN_ARCHES,
    MAX_ERRNO_RET,
};
use serde::de::{self, Deserializer};
use serde::Deserialize;
use std::fmt;

/// What is wrong with a profile, without where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    #[error("not a seccomp profile: {0}")]
    NotAProfile(String),
    #[error("unknown action {0:?} (expected one of SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL, SCMP_ACT_KILL_THREAD, SCMP_ACT_KILL_PROCESS, SCMP_ACT_TRAP, SCMP_ACT_TRACE, SCMP_ACT_LOG, SCMP_ACT_NOTIFY)")]
    UnknownAction(String),
    #[error("unknown operator {0:?} (expected one of SCMP_CMP_EQ, SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_GT, SCMP_CMP_GE, SCMP_CMP_MASKED_EQ)")]
    UnknownOperator(String),
    #[error("unknown architecture {0:?} (expected a libseccomp name such as SCMP_ARCH_X86_64)")]
    UnknownArch(String),
    #[error("{path} {value} is out of range: the kernel caps errno at 4095 and libseccomp rejects anything above {MAX_ERRNO_RET}; use 0..={MAX_ERRNO_RET}")]
    ErrnoOutOfRange { path: String, value: u32 },
    #[error("both `architectures` and `archMap` are set, which docker refuses; keep one")]
    BothArchFields,
    #[error("argument index {0} is out of range: a syscall has 6 arguments, 0..=5")]
    ArgIndex(u64),
    #[error("rule has no syscall names")]
    NoNames,
    #[error("rule has an empty syscall name")]
    EmptyName,
    #[error("both `name` and `names` are set, which docker refuses; keep `names`")]
    NameAndNames,
    #[error("`defaultAction` is missing but rules are present, which {runtime} refuses", runtime = crate::runtime::DEFAULT_NAME)]
    MissingDefaultAction,
    #[error("invalid minKernel: {0}")]
    MinKernel(KernelVersionError),
    #[error("`{0}` is missing")]
    Missing(&'static str),
    /// A JSON type the format does not allow, or a check on one value (an action, operator,
    /// arch or minKernel name; a rule's shape) that failed while it was read: serde carries
    /// only the message out of deserialization, which is what the user reads anyway.
    #[error("{0}")]
    Type(String),
}

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("cannot read {file}: {source}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}:{line}:{column}: invalid JSON: {message}")]
    Syntax {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}: {kind}", Location(file, *line, *column))]
    Invalid {
        file: String,
        line: Option<usize>,
        column: Option<usize>,
        kind: Invalid,
    },
}

impl ProfileError {
    pub fn file(&self) -> &str {
        match self {
            ProfileError::Read { file, .. }
            | ProfileError::Syntax { file, .. }
            | ProfileError::Invalid { file, .. } => file,
        }
    }

    /// The semantic problem, for errors that are not about reading or JSON syntax.
    pub fn invalid(&self) -> Option<&Invalid> {
        match self {
            ProfileError::Invalid { kind, .. } => Some(kind),
            _ => None,
        }
    }
}

struct Location<'a>(&'a str, Option<usize>, Option<usize>);

impl fmt::Display for Location<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.1, self.2) {
            (Some(l), Some(c)) => write!(f, "{}:{l}:{c}", self.0),
            _ => f.write_str(self.0),
        }
    }
}

fn fail<E: de::Error>(kind: Invalid) -> E {
    E::custom(kind)
}

/// serde_json appends " at line L column C" to messages; the position is reported apart.
fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    s.strip_suffix(&suffix).unwrap_or(&s).to_string()
}

impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Action::parse(&s).ok_or_else(|| fail(Invalid::UnknownAction(s)))
    }
}

impl<'de> Deserialize<'de> for Op {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Op::parse(&s).ok_or_else(|| fail(Invalid::UnknownOperator(s)))
    }
}

/// An `SCMP_ARCH_*` name, checked against the runtime's list ([`crate::runtime::RuntimeModel`]).
struct ArchName(String);

impl<'de> Deserialize<'de> for ArchName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if KNOWN_ARCHES.contains(&s.as_str()) {
            Ok(ArchName(s))
        } else {
            Err(fail(Invalid::UnknownArch(s)))
        }
    }
}

/// `defaultAction`, where Go's zero value "" means "not set".
struct DefaultAction(Option<Action>);

impl<'de> Deserialize<'de> for DefaultAction {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.is_empty() {
            return Ok(DefaultAction(None));
        }
        Action::parse(&s)
            .map(|a| DefaultAction(Some(a)))
            .ok_or_else(|| fail(Invalid::UnknownAction(s)))
    }
}

/// Podman's `errno` / `defaultErrno`: a name, kept where it is a non-empty string. Docker has
/// no such field and takes any JSON there, so nothing else is refused; it is dropped.
struct ErrnoName(Option<String>);

impl<'de> Deserialize<'de> for ErrnoName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        Ok(ErrnoName(
            v.as_str().filter(|s| !s.is_empty()).map(str::to_string),
        ))
    }
}

struct MinKernel(KernelVersion);

impl<'de> Deserialize<'de> for MinKernel {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        KernelVersion::parse_min_kernel(&s)
            .map(MinKernel)
            .map_err(|e| fail(Invalid::MinKernel(e)))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawArg {
    index: Option<u64>,
    value: Option<u64>,
    value_two: Option<u64>,
    op: Option<Op>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawFilter {
    caps: Option<Vec<String>>,
    arches: Option<Vec<String>>,
    min_kernel: Option<MinKernel>,
}

impl From<Option<RawFilter>> for Filter {
    fn from(f: Option<RawFilter>) -> Self {
        match f {
            None => Filter::default(),
            Some(f) => Filter {
                caps: f.caps.unwrap_or_default(),
                arches: f.arches.unwrap_or_default(),
                min_kernel: f.min_kernel.map(|m| m.0),
            },
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRuleFields {
    name: Option<String>,
    names: Option<Vec<String>>,
    action: Option<Action>,
    errno_ret: Option<u64>,
    errno: Option<ErrnoName>,
    args: Option<Vec<RawArg>>,
    includes: Option<RawFilter>,
    excludes: Option<RawFilter>,
    comment: Option<String>,
}

#[derive(Deserialize)]
#[serde(try_from = "RawRuleFields")]
struct RawRule(Rule);

impl TryFrom<RawRuleFields> for RawRule {
    type Error = Invalid;
    fn try_from(r: RawRuleFields) -> Result<Self, Invalid> {
        rule_from(r).map(RawRule)
    }
}

fn rule_from(r: RawRuleFields) -> Result<Rule, Invalid> {
    {
        let names = match (r.name.filter(|n| !n.is_empty()), r.names) {
            (Some(_), Some(n)) if !n.is_empty() => return Err(Invalid::NameAndNames),
            (Some(name), _) => vec![name],
            (None, Some(n)) => n,
            (None, None) => Vec::new(),
        };
        if names.is_empty() {
            return Err(Invalid::NoNames);
        }
        if names.iter().any(|n| n.trim().is_empty()) {
            return Err(Invalid::EmptyName);
        }
        // The runtime rejects the empty action (`runtime::RuntimeModel`).
        let action = r.action.ok_or(Invalid::Missing("action"))?;
        let mut args = Vec::new();
        for a in r.args.unwrap_or_default() {
            let index = a.index.unwrap_or(0);
            if index > 5 {
                return Err(Invalid::ArgIndex(index));
            }
            args.push(ArgCond {
                index: index as u8,
                value: a.value.unwrap_or(0),
                value_two: a.value_two.unwrap_or(0),
                op: a.op.ok_or(Invalid::Missing("op"))?,
            });
        }
        Ok(Rule {
            names,
            action,
            errno_ret: r.errno_ret.map(saturate),
            errno_name: r.errno.and_then(|e| e.0),
            args,
            includes: r.includes.into(),
            excludes: r.excludes.into(),
            comment: r.comment.filter(|c| !c.is_empty()),
        })
    }
}

/// An errno as the model keeps it: anything past u32 is out of range all the same, and
/// validation reports it ([`super::validate::errno_out_of_range`]).
fn saturate(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawArchMap {
    architecture: Option<ArchName>,
    sub_architectures: Option<Vec<ArchName>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSeccompFields {
    default_action: Option<DefaultAction>,
    default_errno_ret: Option<u64>,
    default_errno: Option<ErrnoName>,
    architectures: Option<Vec<ArchName>>,
    arch_map: Option<Vec<RawArchMap>>,
    syscalls: Option<Vec<RawRule>>,
    flags: Option<Vec<String>>,
    listener_path: Option<String>,
    listener_metadata: Option<String>,
}

#[derive(Deserialize)]
#[serde(try_from = "RawSeccompFields")]
struct RawSeccomp(Profile);

impl TryFrom<RawSeccompFields> for RawSeccomp {
    type Error = Invalid;
    fn try_from(d: RawSeccompFields) -> Result<Self, Invalid> {
        seccomp_from(d).map(RawSeccomp)
    }
}

fn seccomp_from(d: RawSeccompFields) -> Result<Profile, Invalid> {
    {
        let architectures = d.architectures.unwrap_or_default();
        let arch_map = d.arch_map.unwrap_or_default();
        // moby `setupSeccomp`: "use either 'architectures' or 'archMap'".
        if !architectures.is_empty() && !arch_map.is_empty() {
            return Err(Invalid::BothArchFields);
        }
        let arches = if !architectures.is_empty() {
            Arches::List(architectures.into_iter().map(|a| a.0).collect())
        } else if !arch_map.is_empty() {
            Arches::Map(
                arch_map
                    .into_iter()
                    .map(|m| ArchMapEntry {
                        architecture: m.architecture.map(|a| a.0).unwrap_or_default(),
                        sub_architectures: m
                            .sub_architectures
                            .unwrap_or_default()
                            .into_iter()
                            .map(|a| a.0)
                            .collect(),
                    })
                    .collect(),
            )
        } else {
            Arches::Unspecified
        };
        let default_action = d.default_action.and_then(|a| a.0);
        let rules: Vec<Rule> = d
            .syscalls
            .unwrap_or_default()
            .into_iter()
            .map(|r| r.0)
            .collect();
        if default_action.is_none() && !rules.is_empty() {
            return Err(Invalid::MissingDefaultAction);
        }
        Ok(Profile {
            format: Format::Docker,
            default_action,
            default_errno_ret: d.default_errno_ret.map(saturate),
            default_errno_name: d.default_errno.and_then(|e| e.0),
            arches,
            rules,
            flags: d.flags.unwrap_or_default(),
            listener_path: d.listener_path.filter(|p| !p.is_empty()),
            listener_metadata: d.listener_metadata.filter(|m| !m.is_empty()),
        })
    }
}

#[derive(Deserialize)]
struct RawLinux {
    seccomp: Option<RawSeccomp>,
}

#[derive(Deserialize)]
struct RawOciConfig {
    linux: Option<RawLinux>,
}

/// Keys that make an object a Docker (or bare runtime-spec) seccomp profile.
const PROFILE_KEYS: &[&str] = &[
    "defaultAction",
    "defaultErrnoRet",
    "architectures",
    "archMap",
    "syscalls",
    "flags",
    "listenerPath",
    "listenerMetadata",
];

/// A profile a test wrote itself, which must parse: the tests of every module that reads
/// profiles start from one, and a typo in it should fail loudly, where it is.
#[cfg(test)]
pub(crate) fn parsed(text: &str) -> Profile {
    parse_str(text, "t.json").expect("a test's own profile parses")
}

/// Parses a profile as Docker would accept it. An `errnoRet` out of range is kept: Docker takes
/// it and the runtime then fails to load the filter, which the oracle predicts; `check` reports
/// it from [`super::validate::errno_out_of_range`].
pub fn parse_str(text: &str, file: &str) -> Result<Profile, ProfileError> {
    // A first pass tells syntax errors and non-objects apart from semantic ones.
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| ProfileError::Syntax {
            file: file.to_string(),
            line: e.line(),
            column: e.column(),
            message: strip_position(&e),
        })?;
    let not_profile = |why: &str| ProfileError::Invalid {
        file: file.to_string(),
        line: None,
        column: None,
        kind: Invalid::NotAProfile(why.to_string()),
    };
    let obj = value.as_object().ok_or_else(|| {
        not_profile(&format!(
            "the document is {}, not an object",
            kind_of(&value)
        ))
    })?;
    let is_oci = obj.contains_key("ociVersion") || obj.contains_key("linux");
    let semantic = |e: serde_json::Error| {
        let kind = Invalid::Type(strip_position(&e));
        ProfileError::Invalid {
            file: file.to_string(),
            line: Some(e.line()),
            column: Some(e.column()),
            kind,
        }
    };
    if is_oci {
        let cfg: RawOciConfig = serde_json::from_str(text).map_err(semantic)?;
        let mut p = cfg
            .linux
            .and_then(|l| l.seccomp)
            .ok_or_else(|| not_profile("an OCI runtime config without `linux.seccomp`"))?
            .0;
        p.format = Format::OciConfig;
        return Ok(p);
    }
    if !PROFILE_KEYS.iter().any(|k| obj.contains_key(*k)) {
        return Err(not_profile(
            "no `defaultAction` or `syscalls` (docker would run such a container unconfined)",
        ));
    }
    let p: RawSeccomp = serde_json::from_str(text).map_err(semantic)?;
    Ok(p.0)
}

fn kind_of(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests;
