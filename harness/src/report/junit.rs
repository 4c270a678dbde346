pub fn render(_m: &crate::matrix::Matrix) -> String {
    String::new()
}
