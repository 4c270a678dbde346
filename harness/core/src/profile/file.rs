//! One way to read a profile file, for `run`, `check` and `explain` alike: the file is read
//! once, its sha256 taken from those very bytes (the matrix's `sha256`), and its profiles are
//! the resources of a Kubernetes YAML or the one JSON document. Each profile's parse errors
//! name the file, and the resource where there are several, the same way in every command.

use super::k8s::{self, Document};
use super::model::Profile;
use super::parse::{parse_str, ProfileError};
use sha2::{Digest, Sha256};
use std::path::Path;

/// A profile file as read from disk.
#[derive(Debug, Clone)]
pub struct ProfileFile {
    /// The path as given, as errors and the matrix's `source` name the file.
    pub file: String,
    /// The file's text.
    pub text: String,
    /// sha256 of the bytes read, in lower-case hex.
    pub sha256: String,
}

/// One profile of a file: the Docker-format JSON the engine gets and what it parses to.
#[derive(Debug, Clone)]
pub struct FileProfile {
    /// The resource's `metadata.name` in a Kubernetes YAML; `None` for a JSON profile.
    pub resource: Option<String>,
    /// The profile's JSON: the file's own text for a JSON profile, a resource's `spec`.
    pub json: String,
    pub profile: Profile,
}

impl ProfileFile {
    /// Reads `path` once. Not UTF-8 is a read error, as `read_to_string` would give.
    pub fn read(path: &Path) -> Result<ProfileFile, ProfileError> {
        let file = path.display().to_string();
        let read_error = |source| ProfileError::Read {
            file: file.clone(),
            source,
        };
        let bytes = std::fs::read(path).map_err(read_error)?;
        let sha256 = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let text = String::from_utf8(bytes).map_err(|e| {
            read_error(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("the file is not UTF-8 text ({e})"),
            ))
        })?;
        Ok(ProfileFile { file, text, sha256 })
    }

    /// The file's profiles before parsing: one per `SeccompProfile` resource of a YAML, else
    /// the JSON document. An error here is the file's (no resource, a YAML that is broken).
    pub fn documents(&self) -> Result<Vec<Document>, ProfileError> {
        k8s::split(&self.text, &self.file)
    }

    /// How errors and findings name one document: the file, and the resource of a YAML.
    pub fn label(&self, doc: &Document) -> String {
        match &doc.name {
            Some(resource) => format!("{} ({resource})", self.file),
            None => self.file.clone(),
        }
    }

    /// Parses one document of this file.
    pub fn parse(&self, doc: Document) -> Result<FileProfile, ProfileError> {
        let profile = parse_str(&doc.json, &self.label(&doc))?;
        Ok(FileProfile {
            resource: doc.name,
            json: doc.json,
            profile,
        })
    }

    /// Every profile of the file, or the first error.
    pub fn profiles(&self) -> Result<Vec<FileProfile>, ProfileError> {
        self.documents()?
            .into_iter()
            .map(|doc| self.parse(doc))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn a_json_file_is_one_profile_with_the_sha256_of_its_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "p.json", br#"{"defaultAction":"SCMP_ACT_ALLOW"}"#);
        let f = ProfileFile::read(&path).unwrap();
        // sha256sum of the same 34 bytes.
        assert_eq!(
            f.sha256,
            "1e91071efd3cec07b4e3e6cb9e0405055162ec9674f62869fe7f1564d5dce24f"
        );
        let all = f.profiles().unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].resource, None);
        assert_eq!(all[0].json, f.text);
    }

    #[test]
    fn a_yaml_resource_is_named_in_its_errors_and_the_file_in_the_file_s() {
        let dir = tempfile::tempdir().unwrap();
        let yaml = "kind: SeccompProfile\nmetadata: {name: good}\nspec: {defaultAction: SCMP_ACT_ALLOW}\n---\nkind: SeccompProfile\nmetadata: {name: bad}\nspec: {defaultAction: SCMP_ACT_NOPE}\n";
        let f = ProfileFile::read(&write(&dir, "two.yaml", yaml.as_bytes())).unwrap();
        let docs = f.documents().unwrap();
        assert_eq!(docs.len(), 2);
        let good = f.parse(docs[0].clone()).unwrap();
        assert_eq!(good.resource.as_deref(), Some("good"));
        let e = f.parse(docs[1].clone()).unwrap_err();
        assert_eq!(e.file(), format!("{} (bad)", f.file));
        assert!(f.profiles().is_err());
        let none = ProfileFile::read(&write(&dir, "none.yaml", b"kind: Pod\n")).unwrap();
        assert_eq!(none.documents().unwrap_err().file(), none.file);
    }

    #[test]
    fn unreadable_and_non_utf8_files_are_read_errors_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.json");
        let e = ProfileFile::read(&missing).unwrap_err();
        assert!(matches!(e, ProfileError::Read { .. }), "{e}");
        assert!(e
            .to_string()
            .starts_with(&format!("cannot read {}: ", missing.display())));
        let e = ProfileFile::read(&write(&dir, "latin1.json", b"{\"a\": \"\xe9\"}")).unwrap_err();
        assert!(e.to_string().contains("not UTF-8"), "{e}");
    }
}
