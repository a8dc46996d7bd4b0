//! placeholder
pub(crate) fn scan(_s: &str, _t: Option<&crate::Target>) -> crate::FileScan {
    crate::FileScan::default()
}
