/// Secrets out of a configuration: masked for display (`config show`), removed for the copy a
/// run stores in the repository beside its snapshots, so that a restore on a bare machine knows
/// what was backed up and where its secrets were, without the repository holding them.
extension ConfigValue {
    /// Every secret replaced by `***`: values under secret keys (password, secret, token,
    /// webhook), passwords inside URLs, and webhook URLs wherever they are.
    public func maskingSecrets() -> ConfigValue { transformingSecrets(remove: false) ?? .null }

    /// Every secret left out: secret keys dropped, URL passwords cut out, webhook URLs dropped.
    public func removingSecrets() -> ConfigValue { transformingSecrets(remove: true) ?? .null }

    /// `underSecretKey`: the value of a secret key, masked or removed whatever its shape.
    private func transformingSecrets(remove: Bool, underSecretKey: Bool = false) -> ConfigValue? {
        if underSecretKey, self != .null { return remove ? nil : .string(SecretPolicy.mask) }
        switch self {
        case .string(let text):
            if SecretPolicy.isWebhookURL(text) { return remove ? nil : .string(SecretPolicy.mask) }
            return .string(SecretPolicy.replacingURLPassword(text, with: remove ? nil : SecretPolicy.mask))
        case .integer, .number, .boolean, .null:
            return self
        case .list(let items):
            return .list(items.compactMap { $0.transformingSecrets(remove: remove) })
        case .mapping(let pairs):
            // A channel's type says whether its `url` is a secret.
            let type = pairs.first { $0.key == "type" }?.value.stringValue
            return .mapping(pairs.compactMap { pair in
                pair.value.transformingSecrets(remove: remove, underSecretKey: SecretPolicy.isSecretKey(pair.key, inMappingOfType: type)).map { (pair.key, $0) }
            })
        }
    }
}

extension Configuration {
    /// This configuration without its secrets: a database password given as a value, passwords
    /// inside URLs, the inline secrets of notification channels, and secrets of the reserved
    /// sections are removed. Where a secret comes from
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
        copy.notifications.channels = notifications.channels.map { $0.removingSecrets() }
        for service in copy.services.indices {
            for check in copy.services[service].health.indices {
                guard case .http(let url, let status, let body) = copy.services[service].health[check].probe else { continue }
                copy.services[service].health[check].probe = .http(url: SecretPolicy.replacingURLPassword(url, with: nil), status: status, body: body)
            }
        }
        copy.reserved = reserved.map { ($0.name, $0.value.removingSecrets()) }
        return copy
    }
}

extension ChannelSettings {
    /// The channel without its inline secrets. An optional one goes; one the channel cannot be
    /// without (a webhook's URL) is emptied, which renders as the key left out.
    func removingSecrets() -> ChannelSettings {
        var copy = self
        switch kind {
        case .slack(let url):
            copy.kind = .slack(webhookURL: url.emptiedIfInline)
        case .email(var email):
            if case .value? = email.password { email.password = nil }
            copy.kind = .email(email)
        case .webhook(let url, let secret):
            copy.kind = .webhook(url: url.emptiedIfInline, secret: secret.flatMap { if case .value = $0 { nil } else { $0 } })
        case .healthchecks(let url, let sendBody):
            copy.kind = .healthchecks(url: url.emptiedIfInline, sendBody: sendBody)
        }
        return copy
    }
}

extension Secret {
    /// Where the secret comes from stays (a file, a command); the value itself does not.
    var emptiedIfInline: Secret {
        if case .value = self { return .value("") }
        return self
    }
}
