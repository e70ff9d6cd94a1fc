/// Secrets out of a configuration: masked for display (`config show`), removed for the copy a
/// run stores in the repository beside its snapshots, so that a restore on a bare machine knows
/// what was backed up and where its secrets were, without the repository holding them.
extension ConfigValue {
    /// Every secret replaced by `***`: values under secret keys (password, secret, token,
    /// webhook), passwords inside URLs, and webhook URLs wherever they are.
    public func maskingSecrets() -> ConfigValue { transformingSecrets(remove: false) ?? .null }

    /// Every secret left out: secret keys dropped, URL passwords cut out, webhook URLs dropped.
    public func removingSecrets() -> ConfigValue { transformingSecrets(remove: true) ?? .null }

    private func transformingSecrets(remove: Bool, key: String? = nil) -> ConfigValue? {
        switch self {
        case .string(let text):
            if let key, SecretPolicy.isSecretKey(key) { return remove ? nil : .string(SecretPolicy.mask) }
            if SecretPolicy.isWebhookURL(text) { return remove ? nil : .string(SecretPolicy.mask) }
            return .string(SecretPolicy.replacingURLPassword(text, with: remove ? nil : SecretPolicy.mask))
        case .integer, .boolean:
            if let key, SecretPolicy.isSecretKey(key) { return remove ? nil : .string(SecretPolicy.mask) }
            return self
        case .null:
            return self
        case .list(let items):
            if let key, SecretPolicy.isSecretKey(key) { return remove ? nil : .string(SecretPolicy.mask) }
            return .list(items.compactMap { $0.transformingSecrets(remove: remove) })
        case .mapping(let pairs):
            if let key, SecretPolicy.isSecretKey(key), remove { return nil }
            return .mapping(pairs.compactMap { pair in
                pair.value.transformingSecrets(remove: remove, key: pair.key).map { (pair.key, $0) }
            })
        }
    }
}

extension Configuration {
    /// This configuration without its secrets: a database password given as a value, passwords
    /// inside URLs, and secrets of the reserved sections are removed. Where a secret comes from
    /// (`password_file`, `password_command`, `password_env`) stays.
    public func removingSecrets() -> Configuration {
        var copy = self
        copy.repository.location = SecretPolicy.replacingURLPassword(repository.location, with: nil)
        for index in copy.copies.indices {
            copy.copies[index].location = SecretPolicy.replacingURLPassword(copies[index].location, with: nil)
        }
        for index in copy.sources.indices {
            guard case .postgres(var postgres) = copy.sources[index].kind else { continue }
            postgres.url = SecretPolicy.replacingURLPassword(postgres.url, with: nil)
            if case .value? = postgres.password { postgres.password = nil }
            copy.sources[index].kind = .postgres(postgres)
        }
        copy.reserved = reserved.map { ($0.name, $0.value.removingSecrets()) }
        return copy
    }
}
