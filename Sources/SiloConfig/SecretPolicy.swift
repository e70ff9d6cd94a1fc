import Foundation

/// What counts as a secret in a configuration, for masking (`config show`), for removal (the
/// copy stored in the repository) and for the rule that a file holding one literally is 0600.
enum SecretPolicy {
    /// Keys whose values are secrets: any name containing password, secret, token or webhook —
    /// except those that only say where the secret is (`password_file`, `password_command`,
    /// `password_env`), which are kept so that a restore knows where to look.
    static func isSecretKey(_ key: String) -> Bool {
        let lower = key.lowercased()
        guard ["password", "secret", "token", "webhook"].contains(where: lower.contains) else { return false }
        return !["_file", "_command", "_env"].contains(where: lower.hasSuffix)
    }

    /// Notification channel types whose `url` is the credential itself: whoever holds a Slack
    /// or webhook URL can post, whoever holds a Healthchecks URL can ping (and so hide a failure).
    static let urlSecretChannelTypes = ["slack", "webhook", "healthchecks"]

    /// `key` of a mapping whose `type` is `type`: a secret key, or the `url` of such a channel.
    static func isSecretKey(_ key: String, inMappingOfType type: String?) -> Bool {
        isSecretKey(key) || (key == "url" && type.map(urlSecretChannelTypes.contains) == true)
    }

    static let mask = "***"

    /// The password part of a URL's user information (`scheme://user:PASSWORD@host`), if any.
    static func urlPasswordRange(_ text: String) -> Range<String.Index>? {
        guard let scheme = text.range(of: "://") else { return nil }
        let authorityEnd = text[scheme.upperBound...].firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? text.endIndex
        let authority = text[scheme.upperBound..<authorityEnd]
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else { return nil }
        let range = text.index(after: colon)..<at
        return range.isEmpty ? nil : range
    }

    /// `text` with a URL password replaced by `replacement` (nil: removed with its colon).
    static func replacingURLPassword(_ text: String, with replacement: String?) -> String {
        guard let range = urlPasswordRange(text) else { return text }
        var result = text
        if let replacement {
            result.replaceSubrange(range, with: replacement)
        } else {
            result.replaceSubrange(text.index(before: range.lowerBound)..<range.upperBound, with: "")
        }
        return result
    }

    /// A webhook URL is a credential by itself (anyone holding it can post).
    static func isWebhookURL(_ text: String) -> Bool {
        text.hasPrefix("https://hooks.slack.com/") || text.contains("/webhook") || text.contains("discord.com/api/webhooks/")
    }

    /// Whether a value written in the file (before interpolation) is a secret written out,
    /// rather than a reference (`${DB_PASSWORD}`).
    static func isLiteral(_ raw: String) -> Bool { !raw.isEmpty && !Interpolation.isOnlyReferences(raw) }
}
