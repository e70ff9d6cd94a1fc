import Foundation
import SiloFormat

/// `/s/ID/PATH/`: a directory with breadcrumbs, sizes, modes, owners and mtimes; sortable by a
/// column (`?sort=name|size|mtime&desc=1`), with a quick filter (`?q=`; live as one types when
/// scripts run); the same path in another snapshot; a .tar.gz of the whole directory.
enum BrowsePage {
    /// More entries than this are listed in pages (`?page=N`): a browser does not need 1 M rows at once.
    static let pageSize = 5_000

    struct Query: Sendable {
        var sort = "name"
        var descending = false
        var filter = ""
        var page = 0
    }

    static func render(_ entry: SnapshotEntry, path: [UInt8], children: [Node], others: [SnapshotEntry], query: Query, language: Language) -> String {
        let t = language.strings
        // Names decoded once: a 30,000-entry directory is sorted without decoding them again per comparison.
        var named = children.map { (name: $0.name.displayString, node: $0) }
        if !query.filter.isEmpty { named = named.filter { $0.name.localizedCaseInsensitiveContains(query.filter) } }
        switch query.sort {
        case "size": named.sort { ($0.node.size ?? 0, $0.name) < ($1.node.size ?? 0, $1.name) }
        case "mtime": named.sort { ($0.node.mtime, $0.name) < ($1.node.mtime, $1.name) }
        default: named.sort { ($0.node.type == .dir ? 0 : 1, $0.name) < ($1.node.type == .dir ? 0 : 1, $1.name) }
        }
        var nodes = named.map(\.node)
        if query.descending { nodes.reverse() }
        let total = nodes.count
        let page = max(0, min(query.page, max(0, (total - 1) / pageSize)))
        let visible = nodes.dropFirst(page * pageSize).prefix(pageSize)
        let base = "/s/\(entry.id.hex)" + URLPath.encode(path == [47] ? [] : path)
        func sortLink(_ key: String, _ label: String) -> String {
            let descending = query.sort == key && !query.descending
            return "<a href=\"?sort=\(key)\(descending ? "&amp;desc=1" : "")\(query.filter.isEmpty ? "" : "&amp;q=" + HTML.escape(query.filter.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))\">\(label)\(query.sort == key ? (query.descending ? " ▾" : " ▴") : "")</a>"
        }
        var body = breadcrumbs(entry, path) + "<p class=muted>\(HTML.time(entry.date)) · \(HTML.escape(entry.snapshot.host)) · \(HTML.escape(entry.source))"
            + " · <a href=\"/tar/\(entry.id.hex)\(URLPath.encode(path == [47] ? [] : path))\">\(t.downloadTar)</a></p>"
        body += switcher(entry, path: path, others: others, label: t.otherSnapshot)
        body += "<form method=get class=inline><input name=q value=\"\(HTML.escape(query.filter))\" placeholder=\"\(t.filter)\" data-filter=\"tbody tr\"><input type=hidden name=sort value=\"\(HTML.escape(query.sort))\"><button>\(t.filter)</button></form>"
        body += "<table><thead><tr><th>\(sortLink("name", t.name))</th><th class=num>\(sortLink("size", t.size))</th><th>\(t.mode)</th><th>\(t.owner)</th><th>\(sortLink("mtime", t.modified))</th></tr></thead><tbody>"
        for node in visible {
            let name = node.name.displayString + (node.type == .dir ? "/" : "")
            let link = base + "/" + URLPath.encodeSegment(node.name) + (node.type == .dir ? "/" : "")
            let size = node.type == .file ? HTML.bytes(node.size ?? 0) : ""
            let owner = (node.user ?? String(node.uid)) + ":" + (node.group ?? String(node.gid))
            let target = node.type == .symlink ? " → " + HTML.escape(node.linkTarget?.displayString ?? "") : ""
            body += "<tr><td><a href=\"\(link)\">\(HTML.escape(name))</a>\(target)</td><td class=num>\(size)</td>"
                + "<td><code>\(HTML.mode(node.mode, type: typeLetter(node.type)))</code></td><td>\(HTML.escape(owner))</td>"
                + "<td>\(HTML.time(Date(timeIntervalSince1970: Double(node.mtime) / 1e9)))</td></tr>"
        }
        body += "</tbody></table><p class=muted>\(t.showing) \(visible.count) / \(total)"
        if total > pageSize {
            let pages = (total + pageSize - 1) / pageSize
            body += " · " + (0..<pages).map { $0 == page ? "<strong>\($0 + 1)</strong>" : "<a href=\"?page=\($0)&amp;sort=\(query.sort)\">\($0 + 1)</a>" }.joined(separator: " ")
        }
        body += "</p>"
        return HTML.page(title: path == [47] ? "/" : path.displayString, language: language, body: body)
    }

    /// `isFile`: the last component is the file itself, shown without a link.
    static func breadcrumbs(_ entry: SnapshotEntry, _ path: [UInt8], isFile: Bool = false) -> String {
        var html = "<p class=crumbs><a href=\"/\">\(entry.shortID)</a> <a href=\"/s/\(entry.id.hex)/\">/</a>"
        var prefix: [UInt8] = []
        let components = path.split(separator: 47)
        for (index, component) in components.enumerated() {
            prefix += [47] + component
            let name = HTML.escape(Array(component).displayString)
            html += isFile && index == components.count - 1 ? "<strong>\(name)</strong>" : "<a href=\"/s/\(entry.id.hex)\(URLPath.encode(prefix))/\">\(name)</a>/"
        }
        return html + "</p>"
    }

    /// A form that opens the same path in another snapshot (of the same source first).
    static func switcher(_ entry: SnapshotEntry, path: [UInt8], others: [SnapshotEntry], label: String) -> String {
        guard others.count > 1 else { return "" }
        let options = others.prefix(500).map {
            "<option value=\"\($0.id.hex)\"\($0.id == entry.id ? " selected" : "")>\(HTML.time($0.date)) \($0.shortID) \(HTML.escape($0.source))</option>"
        }.joined()
        return "<form method=get action=\"/goto\" class=inline>\(label): <select name=s>\(options)</select>"
            + "<input type=hidden name=path value=\"\(HTML.escape(URLPath.encode(path)))\"><button>→</button></form> "
    }

    static func typeLetter(_ type: NodeType) -> Character {
        switch type {
        case .dir: "d"
        case .symlink: "l"
        case .fifo: "p"
        case .socket: "s"
        case .chardev: "c"
        case .blockdev: "b"
        default: "-"
        }
    }
}
