//! The environment a measurement was taken in, and whether two measurements can be compared.
//!
//! Import times depend on the interpreter (a minor release changes the standard library's
//! imports), on the platform, and on the CPU. A baseline from another interpreter version,
//! implementation or platform is refused (the caller may force it, with a warning); another CPU
//! model or interpreter path only warns, since CI runners of one kind differ in those.

use serde::{Deserialize, Serialize};

/// Where a measurement was taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environment {
    /// `sys.version_info[:3]`, e.g. `3.11.7`.
    pub python_version: String,
    /// `sys.implementation.name`, e.g. `cpython`.
    pub python_implementation: String,
    /// The interpreter's path.
    pub python_executable: String,
    /// Operating system and architecture, e.g. `linux-x86_64`.
    pub platform: String,
    /// The CPU model, e.g. `AMD EPYC 7B13` (`unknown` when the system does not say).
    pub cpu: String,
}

impl Environment {
    /// This machine, with the interpreter as it described itself.
    pub fn current(version: &str, implementation: &str, executable: &str) -> Environment {
        Environment {
            python_version: version.to_string(),
            python_implementation: implementation.to_string(),
            python_executable: executable.to_string(),
            platform: platform(),
            cpu: cpu_model(),
        }
    }
}

/// `os-arch` of this build of fastpath (the interpreter it measures runs on the same machine).
pub fn platform() -> String {
    format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH)
}

/// The CPU model from `/proc/cpuinfo` (Linux) or `sysctl` (macOS); `unknown` otherwise.
pub fn cpu_model() -> String {
    if let Ok(info) = std::fs::read_to_string("/proc/cpuinfo") {
        if let Some(model) = cpu_model_of(&info) {
            return model;
        }
    }
    if cfg!(target_os = "macos") {
        if let Ok(out) = std::process::Command::new("sysctl")
            .args(["-n", "machdep.cpu.brand_string"])
            .output()
        {
            let model = String::from_utf8_lossy(&out.stdout).trim().to_string();
            if !model.is_empty() {
                return model;
            }
        }
    }
    "unknown".to_string()
}

/// The first `model name` (x86) or `Model`/`CPU part` (ARM) of a `/proc/cpuinfo` text.
fn cpu_model_of(info: &str) -> Option<String> {
    for key in ["model name", "Model", "cpu model", "CPU part"] {
        for line in info.lines() {
            if let Some((k, v)) = line.split_once(':') {
                if k.trim() == key && !v.trim().is_empty() {
                    return Some(v.split_whitespace().collect::<Vec<_>>().join(" "));
                }
            }
        }
    }
    None
}

/// What differs between a recorded environment and the current one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Differences {
    /// Differences that make a comparison meaningless (refused unless forced).
    pub blocking: Vec<String>,
    /// Differences worth a warning.
    pub minor: Vec<String>,
}

/// Compares the environment a reference was recorded in with the current one.
pub fn differences(recorded: &Environment, current: &Environment) -> Differences {
    let mut d = Differences::default();
    if recorded.python_implementation != current.python_implementation
        || recorded.python_version != current.python_version
    {
        d.blocking.push(format!(
            "it was measured with {} {}, this is {} {}",
            recorded.python_implementation,
            recorded.python_version,
            current.python_implementation,
            current.python_version
        ));
    }
    if recorded.platform != current.platform {
        d.blocking.push(format!(
            "it was measured on {}, this is {}",
            recorded.platform, current.platform
        ));
    }
    if recorded.cpu != current.cpu {
        d.minor.push(format!(
            "it was measured on a {} CPU, this is a {}",
            recorded.cpu, current.cpu
        ));
    }
    if recorded.python_executable != current.python_executable {
        d.minor.push(format!(
            "it was measured with the interpreter {}, this is {}",
            recorded.python_executable, current.python_executable
        ));
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(version: &str, platform: &str, cpu: &str) -> Environment {
        Environment {
            python_version: version.into(),
            python_implementation: "cpython".into(),
            python_executable: "/usr/bin/python3".into(),
            platform: platform.into(),
            cpu: cpu.into(),
        }
    }

    #[test]
    fn another_version_or_platform_blocks_another_cpu_only_warns() {
        let base = env("3.11.7", "linux-x86_64", "AMD EPYC 7B13");
        assert_eq!(differences(&base, &base), Differences::default());
        let d = differences(&base, &env("3.12.1", "linux-x86_64", "AMD EPYC 7B13"));
        assert_eq!(
            d.blocking,
            ["it was measured with cpython 3.11.7, this is cpython 3.12.1"]
        );
        let d = differences(&base, &env("3.11.7", "macos-aarch64", "Apple M2"));
        assert_eq!(d.blocking.len(), 1);
        assert_eq!(d.minor.len(), 1);
        let d = differences(&base, &env("3.11.7", "linux-x86_64", "Intel Xeon"));
        assert!(d.blocking.is_empty() && d.minor.len() == 1);
    }

    #[test]
    fn cpu_models_are_read_from_cpuinfo() {
        let x86 = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC   7B13 64-Core Processor\n";
        assert_eq!(
            cpu_model_of(x86).as_deref(),
            Some("AMD EPYC 7B13 64-Core Processor")
        );
        let arm = "processor\t: 0\nCPU part\t: 0xd0c\n\nModel\t: Raspberry Pi 4 Model B\n";
        assert_eq!(cpu_model_of(arm).as_deref(), Some("Raspberry Pi 4 Model B"));
        assert_eq!(cpu_model_of(""), None);
    }
}
