import Foundation
import SiloFormat

/// `/search?q=PATTERN`: `silo find` across the snapshots — a shell pattern matched against names
/// (or whole paths when it holds `/`), newest snapshot first, at most `limit` matches.
enum SearchPage {
    static let limit = 1_000

    struct Match: Sendable {
        let entry: SnapshotEntry
        let path: [UInt8]
        let node: Node
    }

    static func render(query: String, matches: [Match], truncated: Bool, language: Language) -> String {
        let t = language.strings
        var body = "<form method=get action=\"/search\"><input name=q value=\"\(HTML.escape(query))\" placeholder=\"*.env\" autofocus><button>\(t.search)</button></form>"
        if !query.isEmpty {
            body += "<table><thead><tr><th>\(t.time)</th><th>ID</th><th>\(t.name)</th><th class=num>\(t.size)</th></tr></thead><tbody>"
            for match in matches {
                body += "<tr><td>\(HTML.time(match.entry.date))</td><td>\(match.entry.shortID)</td>"
                    + "<td><a href=\"/s/\(match.entry.id.hex)\(URLPath.encode(match.path))\(match.node.type == .dir ? "/" : "")\">\(HTML.escape(match.path.displayString))</a></td>"
                    + "<td class=num>\(match.node.type == .file ? HTML.bytes(match.node.size ?? 0) : "")</td></tr>"
            }
            body += "</tbody></table><p class=muted>\(matches.count)\(truncated ? "+" : "")</p>"
        }
        return HTML.page(title: t.search, language: language, body: body)
    }
}
