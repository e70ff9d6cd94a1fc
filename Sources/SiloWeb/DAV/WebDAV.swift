import Foundation
import SiloFormat

/// The read-only WebDAV drive under `/dav/` (RFC 4918, class 1 without locks): each snapshot is
/// a top-level folder named `TIME_SHORTID` (TIME as `yyyy-MM-dd'T'HH-mm-ss`, sortable, no `:` for
/// Windows), below it the snapshot's tree. OPTIONS, PROPFIND (Depth 0 and 1; `infinity` is
/// refused with 403, as RFC 4918 allows), GET and HEAD; every other method is 405.
enum WebDAV {
    static let allowed = "OPTIONS, GET, HEAD, PROPFIND"

    static func folderName(_ entry: SnapshotEntry) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH-mm-ss"
        return formatter.string(from: entry.date) + "_" + entry.shortID
    }

    /// The snapshot a folder name names (its short ID after the last `_`).
    static func entry(forFolder name: String, in entries: [SnapshotEntry]) -> SnapshotEntry? {
        guard let underscore = name.lastIndex(of: "_") else { return nil }
        let short = name[name.index(after: underscore)...]
        return entries.first { $0.shortID == short && folderName($0) == name }
    }

    struct Resource {
        /// The href, percent-encoded, directories ending in `/`.
        let href: String
        let isCollection: Bool
        let size: UInt64
        let modified: Date
        let name: String
        let contentType: String
    }

    static func resource(href: String, node: Node) -> Resource {
        let name = node.name.displayString
        return Resource(href: href, isCollection: node.type == .dir, size: node.type == .file ? node.size ?? 0 : 0,
                        modified: Date(timeIntervalSince1970: Double(node.mtime) / 1e9), name: name,
                        contentType: node.type == .dir ? "httpd/unix-directory" : MediaTypes.type(of: name))
    }

    /// A 207 Multi-Status body.
    static func multistatus(_ resources: [Resource]) -> String {
        var xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:multistatus xmlns:D=\"DAV:\">\n"
        for resource in resources {
            xml += "<D:response><D:href>\(HTML.escape(resource.href))</D:href><D:propstat><D:prop>"
            xml += "<D:displayname>\(HTML.escape(resource.name))</D:displayname>"
            xml += resource.isCollection ? "<D:resourcetype><D:collection/></D:resourcetype>" : "<D:resourcetype/><D:getcontentlength>\(resource.size)</D:getcontentlength>"
            xml += "<D:getcontenttype>\(HTML.escape(resource.contentType))</D:getcontenttype>"
            xml += "<D:getlastmodified>\(httpDate(resource.modified))</D:getlastmodified>"
            xml += "<D:creationdate>\(iso(resource.modified))</D:creationdate>"
            xml += "</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>\n"
        }
        return xml + "</D:multistatus>\n"
    }

    static func httpDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }

    static func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: date)
    }
}
