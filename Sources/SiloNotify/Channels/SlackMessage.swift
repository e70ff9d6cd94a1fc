import Foundation

/// A notification as a Slack incoming-webhook payload: Block Kit `blocks` (a header with the
/// severity and check, the summary, the facts as fields, the advice as context) and the plain
/// `text` Slack shows where blocks are not (notifications on a phone, old clients).
/// Slack's limits are kept: a header is at most 150 characters, a section 3000, a field 2000.
struct SlackMessage: Encodable {
    var text: String
    var blocks: [Block]

    init(_ notification: Notification) {
        let title = "\(Self.marker(notification)) \(notification.title)"
        var fields = [Field(label: "Host", value: notification.host)]
        if let source = notification.source { fields.append(Field(label: "Source", value: source)) }
        if let since = notification.since { fields.append(Field(label: "Since", value: TimeFormats.rfc3339(since))) }
        fields.append(Field(label: "Tier", value: String(notification.tier)))
        var blocks: [Block] = [
            .header(Self.clip(title, 150)),
            .section(Self.clip(Self.escaped(notification.summary), 3000)),
            .fields(fields.map { Self.clip("*\($0.label)*\n\(Self.escaped($0.value))", 2000) }),
        ]
        if let advice = notification.advice, !advice.isEmpty {
            blocks.append(.context(Self.clip(Self.escaped(advice), 3000)))
        }
        self.blocks = blocks
        // The fallback says it all in one line, as notifications on a phone show it.
        self.text = "\(title): \(notification.oneLineSummary)"
    }

    private struct Field {
        var label: String
        var value: String
    }

    /// Colour at a glance, since an incoming webhook's blocks have no colour of their own.
    private static func marker(_ notification: Notification) -> String {
        if notification.event == .resolved { return "✅" }
        if notification.event == .test { return "🔔" }
        switch notification.severity {
        case .ok: return "✅"
        case .warning: return "⚠️"
        case .critical: return "🔴"
        case .unknown: return "❔"
        }
    }

    /// mrkdwn treats &, < and > as markup (links, mentions); a check's text is data.
    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    static func clip(_ text: String, _ limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }

    enum Block: Encodable {
        case header(String)
        case section(String)
        case fields([String])
        case context(String)

        private enum Key: String, CodingKey { case type, text, fields, elements }

        private struct Text: Encodable {
            var type: String
            var text: String
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            switch self {
            case .header(let text):
                try container.encode("header", forKey: .type)
                try container.encode(Text(type: "plain_text", text: text), forKey: .text)
            case .section(let text):
                try container.encode("section", forKey: .type)
                try container.encode(Text(type: "mrkdwn", text: text), forKey: .text)
            case .fields(let fields):
                try container.encode("section", forKey: .type)
                try container.encode(fields.map { Text(type: "mrkdwn", text: $0) }, forKey: .fields)
            case .context(let text):
                try container.encode("context", forKey: .type)
                try container.encode([Text(type: "mrkdwn", text: text)], forKey: .elements)
            }
        }
    }
}
