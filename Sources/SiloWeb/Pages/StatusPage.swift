import Foundation

/// What `/status` shows, handed over by the CLI (the web layer knows nothing of monitoring):
/// the monitor's checks and the newest runs of the history.
public struct StatusReport: Sendable {
    public struct Check: Sendable {
        public let id: String
        public let status: String
        public let summary: String
        public init(id: String, status: String, summary: String) {
            self.id = id
            self.status = status
            self.summary = summary
        }
    }

    public struct Run: Sendable {
        public let id: Int64
        public let command: String
        public let status: String
        public let started: Date
        public let seconds: Double?
        public init(id: Int64, command: String, status: String, started: Date, seconds: Double?) {
            self.id = id
            self.command = command
            self.status = status
            self.started = started
            self.seconds = seconds
        }
    }

    public var checks: [Check]
    public var runs: [Run]
    /// Why there is nothing to show (no configuration given to `silo serve`).
    public var note: String?

    public init(checks: [Check] = [], runs: [Run] = [], note: String? = nil) {
        self.checks = checks
        self.runs = runs
        self.note = note
    }
}

enum StatusPage {
    static func render(_ report: StatusReport, language: Language) -> String {
        let t = language.strings
        var body = report.note.map { "<p class=muted>\(HTML.escape($0))</p>" } ?? ""
        if !report.checks.isEmpty {
            body += "<h2>\(t.checks)</h2><table><tbody>" + report.checks.map {
                "<tr><td><strong>\(HTML.escape($0.status.uppercased()))</strong></td><td>\(HTML.escape($0.id))</td><td>\(HTML.escape($0.summary))</td></tr>"
            }.joined() + "</tbody></table>"
        }
        if !report.runs.isEmpty {
            body += "<h2>\(t.runs)</h2><table><tbody>" + report.runs.map {
                "<tr><td>#\($0.id)</td><td>\(HTML.escape($0.command))</td><td>\(HTML.escape($0.status))</td><td>\(HTML.time($0.started))</td><td class=num>\($0.seconds.map { String(format: "%.1f s", $0) } ?? "")</td></tr>"
            }.joined() + "</tbody></table>"
        }
        return HTML.page(title: t.status, language: language, body: body)
    }
}
