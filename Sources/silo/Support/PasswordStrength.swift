/// A cheap judgement of a new password: the repository's keys are only as strong as it, and an
/// attacker with a copy can guess offline at scrypt's pace.
enum PasswordStrength {
    /// Why the password is weak, or nil.
    static func weakness(of password: String) -> String? {
        if password.count < 10 { return "shorter than 10 characters" }
        let classes = [password.contains(where: \.isLowercase), password.contains(where: \.isUppercase),
                       password.contains(where: \.isNumber), password.contains { !$0.isLetter && !$0.isNumber }]
        if Set(password).count <= 3 { return "it repeats too few characters" }
        if classes.filter({ $0 }).count == 1 && password.count < 16 { return "one kind of character only; use 16 or more, or mix kinds" }
        return nil
    }
}
