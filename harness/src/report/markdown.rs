pub fn render(_m: &crate::matrix::Matrix, _o: &super::Options) -> String {
    String::new()
}
