import Foundation
import Yams

/// `notifications`: the channels (their keys depend on their `type`, so the type is read first),
/// their secrets (each given one way: inline, `_file` or `_command`), and the tiers, which may name
/// only channels that exist and must escalate in order.
extension ConfigurationReader {
    static let notificationKeys = ["hold", "remind", "attempts", "channels", "tiers"]
    static let channelTypes = ["slack", "email", "webhook", "healthchecks"]
    static let maximumAttempts = 10

    /// The keys of a channel of `type`, beside `name`, `type` and `min_severity`.
    static func channelKeys(_ type: String) -> [String] {
        switch type {
        case "slack": secretKeys("webhook_url")
        case "email": ["server", "security", "username"] + secretKeys("password") + ["from", "to", "ca_file"]
        case "webhook": secretKeys("url") + secretKeys("secret")
        default: secretKeys("url") + ["send_body"]
        }
    }

    /// A secret's three spellings: the value (after interpolation), a file holding it, a command printing it.
    static func secretKeys(_ base: String) -> [String] { [base, base + "_file", base + "_command"] }

    mutating func readNotifications(_ node: Node, _ path: KeyPath) -> NotificationSettings {
        var settings = NotificationSettings()
        guard let fields = reader.mapping(node, path, keys: Self.notificationKeys) else { return settings }
        if let node = fields["hold"], let hold = reader.integer(node, fields.path("hold"), minimum: 1) { settings.hold = hold }
        if let node = fields["remind"], let text = reader.word(node, fields.path("remind"), what: "a duration or never") {
            if text == "never" {
                settings.remind = nil
            } else if let interval = Cadence.duration(text) {
                settings.remind = interval
            } else {
                reader.report("'\(text)' is not a reminder interval: expected never or \(Cadence.durationGrammar)", at: node, fields.path("remind"))
            }
        }
        if let node = fields["attempts"], let attempts = reader.integer(node, fields.path("attempts"), minimum: 1, maximum: Self.maximumAttempts) {
            settings.attempts = attempts
        }
        var declared: [String] = []
        if let node = fields["channels"] { (settings.channels, declared) = readChannels(node, fields.path("channels")) }
        if let node = fields["tiers"] { settings.tiers = readTiers(node, fields.path("tiers"), channels: declared) }
        return settings
    }

    // MARK: channels

    /// The channels that read, and every name declared (also of channels with a mistake, so that
    /// a tier naming one is not a second error).
    private mutating func readChannels(_ node: Node, _ path: KeyPath) -> (channels: [ChannelSettings], declared: [String]) {
        guard case .sequence(let sequence) = node else {
            reader.report("expected a list of channels, found \(NodeReader.kind(node))", at: node, path)
            return ([], [])
        }
        var channels: [ChannelSettings] = []
        var declared: [String] = []
        for (index, item) in sequence.enumerated() {
            let itemPath = path.appending(index)
            guard case .mapping(let mapping) = item else {
                reader.report("expected a mapping (a channel: name, type and its settings), found \(NodeReader.kind(item))", at: item, itemPath)
                continue
            }
            var type: String?
            if let typeNode = mapping.first(where: { $0.key.string == "type" })?.value, !NodeReader.isNull(typeNode) {
                type = reader.choice(typeNode, itemPath.appending("type"), among: Self.channelTypes, what: "a channel type")
            }
            // Without a known type, any channel key is accepted: naming each as unknown would bury the one mistake.
            let typeKeys = type.map(Self.channelKeys) ?? Array(Set(Self.channelTypes.flatMap(Self.channelKeys))).sorted()
            let required = ["name", "type"] + (type == "email" ? ["server", "from", "to"] : [])
            guard let fields = reader.mapping(item, itemPath, keys: ["name", "type", "min_severity"] + typeKeys, required: required) else { continue }
            let name = fields["name"].flatMap { readName($0, fields.path("name"), what: "a channel") }
            if let name {
                if declared.contains(name) {
                    reader.report("channel '\(name)' is named twice: names must be unique", at: fields["name"], fields.path("name"))
                }
                declared.append(name)
            }
            var minSeverity = AlertSeverity.warning
            if let node = fields["min_severity"],
               let word = reader.choice(node, fields.path("min_severity"), among: AlertSeverity.allCases.map(\.rawValue), what: "a severity") {
                minSeverity = AlertSeverity(rawValue: word) ?? .warning
            }
            guard let type, let kind = readChannelKind(type, fields) else { continue }
            if let name { channels.append(ChannelSettings(name: name, kind: kind, minSeverity: minSeverity)) }
        }
        return (channels, declared)
    }

    private mutating func readChannelKind(_ type: String, _ fields: NodeReader.Fields) -> ChannelSettings.Kind? {
        switch type {
        case "slack":
            return readSecret(fields, "webhook_url", required: true, isURL: true).map { .slack(webhookURL: $0) }
        case "email":
            return readEmail(fields).map { .email($0) }
        case "webhook":
            let url = readSecret(fields, "url", required: true, isURL: true)
            let secret = readSecret(fields, "secret", required: false)
            return url.map { .webhook(url: $0, secret: secret) }
        default:
            let url = readSecret(fields, "url", required: true, isURL: true)
            let sendBody = fields["send_body"].flatMap { reader.boolean($0, fields.path("send_body")) } ?? false
            return url.map { .healthchecks(url: $0, sendBody: sendBody) }
        }
    }

    /// The one of `base`, `base_file`, `base_command` given; nil when none is (an error when
    /// `required`) or it does not read. An inline value that is written out (not `${VAR}`) makes
    /// the file hold a secret, which must then be 0600. Only an inline URL can be checked here
    /// (after interpolation); one in a file or printed by a command is checked when it is used.
    private mutating func readSecret(_ fields: NodeReader.Fields, _ base: String, required: Bool, isURL: Bool = false) -> Secret? {
        let keys = Self.secretKeys(base)
        let given = fields.entries.filter { keys.contains($0.key) && !NodeReader.isNull($0.value) }
        guard let first = given.first else {
            if required {
                reader.report("missing required key '\(base)' (or \(base)_file, \(base)_command)", at: fields.node, fields.path(base))
            }
            return nil
        }
        if given.count > 1 {
            reader.report("\(given.map(\.key).joined(separator: " and ")) exclude each other; give one", at: given[1].keyNode, fields.path(given[1].key))
            return nil
        }
        let path = fields.path(first.key)
        switch first.key {
        case base:
            guard let value = reader.word(first.value, path, what: "a secret") else { return nil }
            if let raw = reader.raw(first.value), SecretPolicy.isLiteral(raw) { reader.noteLiteralSecret(at: first.value, path) }
            if isURL, !checkHTTPURL(value, first.value, path) { return nil }
            return .value(value)
        case base + "_file":
            guard let file = reader.word(first.value, path, what: "a file").map(absolute) else { return nil }
            referencedFiles.append(ReferencedFile(path: file, kind: .secretFile, position: NodeReader.position(first.value), keyPath: path))
            return .file(file)
        default:
            return reader.word(first.value, path, what: "a command").map { .command($0) }
        }
    }

    /// An `http://` or `https://` URL with a host. The URL is a credential: messages name its
    /// scheme, never the URL.
    private func checkHTTPURL(_ text: String, _ node: Node, _ path: KeyPath) -> Bool {
        guard let components = URLComponents(string: text), let scheme = components.scheme else {
            reader.report("is not a URL: expected http://HOST/… or https://HOST/…", at: node, path)
            return false
        }
        guard ["http", "https"].contains(scheme.lowercased()) else {
            reader.report("a URL with scheme '\(scheme)': expected http:// or https://", at: node, path)
            return false
        }
        guard let host = components.host, !host.isEmpty else {
            reader.report("a URL without a host: expected \(scheme)://HOST/…", at: node, path)
            return false
        }
        return true
    }

    // MARK: email

    private mutating func readEmail(_ fields: NodeReader.Fields) -> EmailSettings? {
        let server = fields["server"].flatMap { readServer($0, fields.path("server")) }
        var security = server?.security ?? .starttls
        if let node = fields["security"],
           let word = reader.choice(node, fields.path("security"), among: ["starttls", "tls", "none"], what: "a connection security"),
           let given = EmailSettings.Security(rawValue: word) {
            security = given
            if let server, let problem = Self.securityProblem(scheme: server.scheme, given) {
                reader.report(problem, at: node, fields.path("security"))
            }
        }
        let username = fields["username"].flatMap { reader.word($0, fields.path("username"), what: "a user name") }
        let password = readSecret(fields, "password", required: false)
        let passwordKey = fields.entries.first { Self.secretKeys("password").contains($0.key) && !NodeReader.isNull($0.value) }
        if security == .none, username != nil {
            reader.report("security none would send the password in the clear: silo refuses AUTH without TLS; use starttls, or no username for a relay that needs none",
                          at: fields["username"], fields.path("username"))
        } else if username != nil, passwordKey == nil {
            reader.report("a username needs a password: give password, password_file or password_command", at: fields["username"], fields.path("username"))
        }
        if let passwordKey, !fields.has("username") {
            reader.report("a password needs a username", at: passwordKey.keyNode, fields.path(passwordKey.key))
        }
        let from = fields["from"].flatMap { readAddresses($0, fields.path("from"), single: true)?.first }
        let to = fields["to"].flatMap { readAddresses($0, fields.path("to"), single: false) }
        var caFile: String?
        if let node = fields["ca_file"], let file = reader.word(node, fields.path("ca_file"), what: "a file").map(absolute) {
            if security == .none {
                reader.report("ca_file applies to TLS, not to security none", at: node, fields.path("ca_file"))
            }
            referencedFiles.append(ReferencedFile(path: file, kind: .certificateFile, position: NodeReader.position(node), keyPath: fields.path("ca_file")))
            caFile = file
        }
        guard let server, let from, let to else { return nil }
        return EmailSettings(server: server.text, security: security, username: username, password: password, from: from, to: to, caFile: caFile)
    }

    /// `smtp://HOST[:PORT]` or `smtps://HOST[:PORT]`, and the security its scheme implies.
    private func readServer(_ node: Node, _ path: KeyPath) -> (text: String, scheme: String, security: EmailSettings.Security)? {
        guard let text = reader.word(node, path, what: "a mail server") else { return nil }
        let grammar = "expected smtp://HOST[:PORT] (STARTTLS) or smtps://HOST[:PORT] (TLS)"
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(), ["smtp", "smtps"].contains(scheme) else {
            reader.report("'\(SecretPolicy.replacingURLPassword(text, with: SecretPolicy.mask))' is not a mail server: \(grammar)", at: node, path)
            return nil
        }
        guard components.user == nil, components.password == nil else {
            reader.report("a mail server with a user inside: give it as username, and the password as password_file (or password, password_command)", at: node, path)
            return nil
        }
        guard let host = components.host, !host.isEmpty else {
            reader.report("'\(text)' has no host: \(grammar)", at: node, path)
            return nil
        }
        if let port = components.port, !(1...65_535).contains(port) {
            reader.report("port \(port) is not a TCP port (1 to 65535)", at: node, path)
            return nil
        }
        guard components.path.isEmpty || components.path == "/", components.query == nil, components.fragment == nil else {
            reader.report("'\(text)' has more than a host and port: \(grammar)", at: node, path)
            return nil
        }
        return (text, scheme, scheme == "smtps" ? .tls : .starttls)
    }

    /// Why `security` does not go with the server's scheme, if it does not.
    static func securityProblem(scheme: String, _ security: EmailSettings.Security) -> String? {
        switch (scheme, security) {
        case ("smtps", .tls), ("smtp", .starttls), ("smtp", .none): nil
        case ("smtps", _): "smtps:// is TLS from the first byte: security tls (or leave it out), or use smtp:// for \(security.rawValue)"
        default: "smtp:// starts in plain text: for TLS from the first byte use smtps:// (port 465)"
        }
    }

    /// Addresses: a string or a list, each item one address or several separated by commas
    /// (as `ALERT_EMAIL` may hold them).
    private func readAddresses(_ node: Node, _ path: KeyPath, single: Bool) -> [String]? {
        if single, node.scalar == nil {
            reader.report("expected one address, found \(NodeReader.kind(node))", at: node, path)
            return nil
        }
        guard let items = reader.stringItems(node, path, single: true, nonEmpty: true) else { return nil }
        var addresses: [String] = []
        var valid = !items.isEmpty
        for item in items {
            let parts = item.text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            if single, parts.count > 1 {
                reader.report("'\(item.text)' is more than one address: give one", at: item.node, item.path)
                valid = false
                continue
            }
            for part in parts {
                if Self.isAddress(part) {
                    addresses.append(part)
                } else {
                    reader.report("'\(part)' is not an email address: expected NAME@DOMAIN", at: item.node, item.path)
                    valid = false
                }
            }
        }
        return valid ? addresses : nil
    }

    /// `local@domain`, without spaces or the characters of a display name or a list.
    static func isAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, !parts[1].hasPrefix("."), !parts[1].hasSuffix(".") else { return false }
        return !text.contains { $0.isWhitespace || "<>,;:\"()[]\\".contains($0) }
    }

    // MARK: tiers

    private func readTiers(_ node: Node, _ path: KeyPath, channels: [String]) -> [TierSettings] {
        guard case .sequence(let sequence) = node else {
            reader.report("expected a list of tiers, found \(NodeReader.kind(node))", at: node, path)
            return []
        }
        var tiers: [TierSettings] = []
        var previous: Duration?
        for (index, item) in sequence.enumerated() {
            let itemPath = path.appending(index)
            guard let fields = reader.mapping(item, itemPath, keys: ["after", "severity", "channels"], required: ["after", "channels"],
                                              what: "a tier: after, severity and channels") else { continue }
            var after: Duration?
            if let node = fields["after"], let duration = reader.duration(node, fields.path("after"), allowZero: true) {
                if let previous, duration <= previous {
                    reader.report("\(Quantities.durationSpelling(duration)) is not later than the tier before (\(Quantities.durationSpelling(previous))): each tier takes over after the one before it",
                                  at: node, fields.path("after"))
                }
                previous = duration
                after = duration
            }
            var severity = AlertSeverity.warning
            // `ok` is no problem to escalate.
            if let node = fields["severity"],
               let word = reader.choice(node, fields.path("severity"), among: ["warning", "unknown", "critical"], what: "a tier's severity") {
                severity = AlertSeverity(rawValue: word) ?? .warning
            }
            var names: [String] = []
            if let node = fields["channels"], let items = reader.stringItems(node, fields.path("channels"), single: true, nonEmpty: true) {
                for item in items {
                    if channels.contains(item.text) {
                        names.append(item.text)
                        continue
                    }
                    let hint = Suggestion.closest(to: item.text, among: channels).map { "; did you mean '\($0)'?" }
                        ?? (channels.isEmpty ? " (no channels are defined)" : " (channels: \(channels.joined(separator: ", ")))")
                    reader.report("no channel is named '\(item.text)'\(hint)", at: item.node, item.path)
                }
            }
            if let after, !names.isEmpty { tiers.append(TierSettings(after: after, severity: severity, channels: names)) }
        }
        return tiers
    }
}
