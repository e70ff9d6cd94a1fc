import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import NIOPosix
import SiloEngine
import SiloFormat
import SiloLegacy
import SiloRepository

/// Every request of `silo serve`: authentication first, then the page, download or WebDAV
/// answer its path names. Read-only: the only POST is the login form, and WebDAV writes are 405.
struct WebRoutes: Sendable {
    let catalog: SnapshotCatalog
    let pages = PageCache()
    let authenticator: Authenticator?
    let secure: Bool
    let status: @Sendable () -> StatusReport

    /// Blocking repository reads go to NIO's thread pool.
    private func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }

    func respond(_ request: Request, client: String) async throws -> Response {
        do {
            return try await route(request, client: client)
        } catch let error as WebError {
            return Self.text(.badRequest, error.description)
        } catch {
            return Self.text(.internalServerError, "silo: \(error)")
        }
    }

    private func route(_ request: Request, client: String) async throws -> Response {
        let path = request.uri.path
        let language = Language(acceptLanguage: request.headers[.acceptLanguage])
        if path == "/static/filter.js" { return Self.respond(.ok, type: "text/javascript", Data(HTML.filterScript.utf8)) }
        if path.hasPrefix("/dav") && (path == "/dav" || path.hasPrefix("/dav/")) {
            if let authenticator, !basicAuthorized(request, authenticator, client: client) {
                var headers = HTTPFields()
                headers[.wwwAuthenticate] = "Basic realm=\"silo\", charset=\"UTF-8\""
                return Response(status: .unauthorized, headers: headers, body: .init(byteBuffer: ByteBuffer(string: "authentication required\n")))
            }
            return try await dav(request, path: String(path.dropFirst(4)))
        }
        if path == "/login", let authenticator { return try await login(request, authenticator, client: client, language: language) }
        if let authenticator, !authenticator.isValid(session: Authenticator.session(fromCookieHeader: request.headers[.cookie])) {
            let next = request.uri.string
            return Self.redirect("/login?next=" + (next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/"))
        }
        guard request.method == .get || request.method == .head else {
            return Self.text(.methodNotAllowed, "read-only: \(request.method) is not allowed", allow: "GET, HEAD")
        }
        let query = request.uri.queryParameters
        func parameter(_ name: String) -> String? { query[Substring(name)].map { String($0).removingPercentEncoding ?? String($0) }.flatMap { $0.isEmpty ? nil : $0 } }
        let response: Response
        switch true {
        case path == "/":
            let filter = SnapshotFilter(host: parameter("host"), tag: parameter("tag"), source: parameter("source"))
            response = try await blocking { Self.html(SnapshotsPage.render(try catalog.entries(), filter: filter, language: language)) }
        case path == "/logout":
            authenticator?.logout(Authenticator.session(fromCookieHeader: request.headers[.cookie]))
            var redirect = Self.redirect("/login")
            redirect.headers[.setCookie] = "\(Authenticator.cookieName)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
            response = redirect
        case path == "/goto":
            guard let id = parameter("s"), let target = parameter("path") else { return Self.text(.badRequest, "goto needs s and path") }
            response = Self.redirect("/s/\(id)\(target.hasPrefix("/") ? target : "/" + target)")
        case path == "/search":
            let pattern = parameter("q") ?? ""
            response = try await blocking { Self.html(try search(pattern, language: language)) }
        case path == "/diff":
            guard let a = parameter("a"), let b = parameter("b") else { return Self.text(.badRequest, "diff needs a and b (snapshot IDs)") }
            let file = parameter("path")
            response = try await blocking { try diff(a, b, file: file, language: language) }
        case path == "/status":
            let report = status
            response = try await blocking { Self.html(StatusPage.render(report(), language: language)) }
        case path.hasPrefix("/s/"):
            response = try await blocking { try browse(String(path.dropFirst(3)), query: query, language: language) }
        case path.hasPrefix("/raw/"):
            response = try await download(String(path.dropFirst(5)), range: request.headers[.range], inline: parameter("inline") != nil,
                                          head: request.method == .head)
        case path.hasPrefix("/tar/"):
            response = try await tarball(String(path.dropFirst(5)))
        default:
            response = Self.text(.notFound, language.strings.notFound)
        }
        return request.method == .head ? response.createHeadResponse() : response
    }

    // MARK: pages

    /// `ID/PATH` of a URL: the snapshot and the path's bytes.
    private func locate(_ rest: String) throws -> (SnapshotEntry, [UInt8])? {
        let id = rest.prefix { $0 != "/" }
        guard let entry = try catalog.entry(String(id)) else { return nil }
        guard let path = URLPath.decode(rest.dropFirst(id.count)) else { throw WebError("bad path: '.', '..', NUL or a malformed escape") }
        return (entry, path)
    }

    private func browse(_ rest: String, query: FlatDictionary<Substring, Substring>, language: Language) throws -> Response {
        guard let (entry, path) = try locate(rest), let node = try catalog.node(entry, at: path) else {
            return Self.text(.notFound, language.strings.notFound)
        }
        if node.type == .dir {
            if !rest.hasSuffix("/") { return Self.redirect("/s/" + rest + "/") }
            var options = BrowsePage.Query()
            options.sort = query["sort"].map(String.init) ?? "name"
            options.descending = query["desc"] != nil
            options.filter = query["q"].map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0) } ?? ""
            options.page = query["page"].flatMap { Int($0) } ?? 0
            // A snapshot never changes, so its listing pages are kept (the switcher's list of the
            // source's snapshots with them: a newer snapshot shows once the page is evicted).
            let key = "\(entry.id.hex)\u{0}\(path)\u{0}\(options.sort)\u{0}\(options.descending)\u{0}\(options.filter)\u{0}\(options.page)\u{0}\(language.code)"
            if let page = pages.page(key) { return Self.html(page) }
            let others = try catalog.entries().filter { $0.source == entry.source }
            let page = BrowsePage.render(entry, path: path, children: try catalog.children(of: node), others: others, query: options, language: language)
            pages.keep(page, for: key)
            return Self.html(page)
        }
        guard node.type == .file else {
            return Self.html(HTML.page(title: node.name.displayString, language: language,
                                       body: BrowsePage.breadcrumbs(entry, path) + "<p>\(node.type.rawValue)\(node.linkTarget.map { " → " + HTML.escape($0.displayString) } ?? "")</p>"))
        }
        let preview = try ContentReader(repository: catalog.repository, node: node).prefix(FilePage.previewLimit)
        return Self.html(FilePage.render(entry, path: path, node: node, preview: preview, history: try history(of: path, in: entry), language: language))
    }

    /// The file's copies in the snapshots of the same source, newest first (200 at most).
    private func history(of path: [UInt8], in entry: SnapshotEntry) throws -> [FilePage.Version] {
        let series = try catalog.entries().filter { $0.source == entry.source }.prefix(200)
        var copies: [(SnapshotEntry, Node)] = []
        for other in series { if let node = try catalog.node(other, at: path), node.type == .file { copies.append((other, node)) } }
        return copies.enumerated().map { index, copy in
            let older = copies.dropFirst(index + 1).first
            return FilePage.Version(entry: copy.0, node: copy.1, changed: older.map { $0.1.content != copy.1.content } ?? true)
        }
    }

    private func search(_ pattern: String, language: Language) throws -> String {
        guard !pattern.isEmpty else { return SearchPage.render(query: "", matches: [], truncated: false, language: language) }
        var matches: [SearchPage.Match] = []
        var truncated = false
        let walker = TreeWalker(repository: catalog.repository)
        for entry in try catalog.entries() {
            try walker.walk(entry.snapshot.tree) { path, node in
                guard !truncated else { return false }
                let target = pattern.contains("/") ? path : node.name
                if Paths.withCPath(target, { fnmatch(pattern, $0, 0) }) == 0 {
                    if matches.count == SearchPage.limit { truncated = true } else { matches.append(.init(entry: entry, path: path, node: node)) }
                }
                return true
            }
            if truncated { break }
        }
        return SearchPage.render(query: pattern, matches: matches, truncated: truncated, language: language)
    }

    private func diff(_ a: String, _ b: String, file: String?, language: Language) throws -> Response {
        guard let old = try catalog.entry(a), let new = try catalog.entry(b) else { return Self.text(.notFound, language.strings.notFound) }
        if let file {
            guard let path = URLPath.decode(Substring(file)) else { throw WebError("bad path") }
            func content(_ entry: SnapshotEntry) throws -> Data {
                guard let node = try catalog.node(entry, at: path), node.type == .file else { return Data() }
                return try ContentReader(repository: catalog.repository, node: node).prefix(FilePage.previewLimit)
            }
            let lines = DiffPage.lines(old: try content(old), new: try content(new))
            return Self.html(DiffPage.renderFile(old, new, path: path.displayString, lines: lines, language: language))
        }
        let changes = try SnapshotDiff(repository: catalog.repository).changes(from: old.snapshot.tree, to: new.snapshot.tree)
        let rows = try changes.prefix(DiffPage.listLimit).map { change -> DiffPage.Row in
            let bytes = Array(change.path.utf8)
            func size(_ entry: SnapshotEntry) throws -> UInt64? {
                guard change.kind != (entry.id == old.id ? "+" : "-"), !change.path.hasSuffix("/") else { return nil }
                return try catalog.node(entry, at: bytes)?.size
            }
            return DiffPage.Row(change: change, oldSize: try size(old), newSize: try size(new))
        }
        return Self.html(DiffPage.render(old, new, rows: rows, language: language))
    }

    // MARK: downloads

    private func download(_ rest: String, range header: String?, inline: Bool, head: Bool) async throws -> Response {
        let found = try await blocking { () -> (SnapshotEntry, [UInt8], Node, ContentReader)? in
            guard let (entry, path) = try locate(rest), let node = try catalog.node(entry, at: path), node.type == .file else { return nil }
            return (entry, path, node, try ContentReader(repository: catalog.repository, node: node))
        }
        guard let (_, _, node, reader) = found else { return Self.text(.notFound, "not found") }
        let name = node.name.displayString
        var headers = HTTPFields()
        headers[.acceptRanges] = "bytes"
        let ext = MediaTypes.fileExtension(name)
        let showInline = inline && MediaTypes.previewableImages.contains(ext)
        headers[.contentType] = MediaTypes.type(of: name)
        headers[.contentDisposition] = (showInline ? "inline" : "attachment") + "; filename=\"\(Self.asciiName(name))\"; filename*=UTF-8''"
            + (name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "file")
        headers[.xContentTypeOptions] = "nosniff"
        headers[.lastModified] = WebDAV.httpDate(Date(timeIntervalSince1970: Double(node.mtime) / 1e9))
        let size = reader.size
        let status: HTTPResponse.Status
        let range: ClosedRange<UInt64>?
        switch ByteRange(header: header, size: size) {
        case .unsatisfiable:
            headers[.contentRange] = "bytes */\(size)"
            return Response(status: .rangeNotSatisfiable, headers: headers)
        case .whole:
            status = .ok
            range = size == 0 ? nil : 0...(size - 1)
        case .partial(let partial):
            status = .partialContent
            range = partial
            headers[.contentRange] = "bytes \(partial.lowerBound)-\(partial.upperBound)/\(size)"
        }
        let length = range.map { Int($0.upperBound - $0.lowerBound + 1) } ?? 0
        headers[.contentLength] = String(length)
        guard let range, !head else { return Response(status: status, headers: headers) }
        let body = ResponseBody(contentLength: length) { writer in
            // One chunk ahead: the next is read and authenticated while this one is sent.
            let pieces = reader.pieces(covering: range)
            var next: Task<Data, any Error>? = pieces.first.map { first in Task { try await NIOThreadPool.singleton.runIfActive { try reader.bytes(of: first, within: range) } } }
            for index in pieces.indices {
                guard let current = next else { break }
                let data = try await current.value
                next = index + 1 < pieces.count ? Task { [piece = pieces[index + 1]] in
                    try await NIOThreadPool.singleton.runIfActive { try reader.bytes(of: piece, within: range) }
                } : nil
                try await writer.write(ByteBuffer(bytes: data))
            }
            try await writer.finish(nil)
        }
        return Response(status: status, headers: headers, body: body)
    }

    /// A directory as a `.tar.gz`, made by `silo export` as the bytes are sent: the exporter
    /// writes into a pipe on a thread of its own; the response reads the other end.
    private func tarball(_ rest: String) async throws -> Response {
        let found = try await blocking { () -> (SnapshotEntry, [UInt8], Node)? in
            guard let (entry, path) = try locate(rest), let node = try catalog.node(entry, at: path.count > 1 && path.last == 47 ? Array(path.dropLast()) : path) else { return nil }
            return (entry, path, node)
        }
        guard let (entry, path, node) = found, node.type == .dir else { return Self.text(.notFound, "not a directory") }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw WebError("cannot make a pipe: \(String(cString: strerror(errno)))") }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        let repository = catalog.repository
        Thread.detachNewThread {
            defer { close(writeEnd) }
            var options = ExportOptions()
            if path != [47] { options.paths = [path.displayString] }
            guard let gzip = try? GzipSink(DescriptorSink(descriptor: writeEnd, name: "the response")) else { return }
            _ = try? SnapshotExporter(repository: repository, snapshot: entry.snapshot, options: options).run(to: gzip)
            try? gzip.finish()
        }
        let base = path == [47] ? entry.shortID : (node.name.displayString.isEmpty ? entry.shortID : node.name.displayString)
        var headers = HTTPFields()
        headers[.contentType] = "application/gzip"
        headers[.contentDisposition] = "attachment; filename=\"\(Self.asciiName(base)).tar.gz\""
        let body = ResponseBody { writer in
            defer { close(readEnd) }
            while true {
                let data = try await NIOThreadPool.singleton.runIfActive { () -> Data in
                    var buffer = Data(count: 256 * 1024)
                    let count = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
                    return count > 0 ? buffer.prefix(count) : Data()
                }
                if data.isEmpty { break }
                try await writer.write(ByteBuffer(bytes: data))
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    // MARK: WebDAV

    private func dav(_ request: Request, path: String) async throws -> Response {
        switch request.method {
        case .options:
            var headers = HTTPFields()
            headers[.allow] = WebDAV.allowed
            headers[HTTPField.Name("DAV")!] = "1"
            headers[HTTPField.Name("MS-Author-Via")!] = "DAV"
            return Response(status: .ok, headers: headers)
        case .get, .head:
            guard let (entry, inside) = try await blocking({ try davLocate(path) }) else { return Self.text(.notFound, "not found") }
            let isDirectory = try await blocking { try catalog.node(entry, at: inside)?.type == .dir }
            if inside == [47] || isDirectory {
                return try await blocking { try davListing(path, entry: entry, inside: inside) }
            }
            return try await download(entry.id.hex + URLPath.encode(inside), range: request.headers[.range], inline: false, head: request.method == .head)
        case HTTPRequest.Method("PROPFIND")!:
            let depth = request.headers[HTTPField.Name("Depth")!] ?? "1"
            guard depth == "0" || depth == "1" else { return Self.text(.forbidden, "Depth: infinity is not supported; use Depth 0 or 1") }
            return try await blocking { try propfind(path, depth: depth) }
        default:
            return Self.text(.methodNotAllowed, "the WebDAV drive is read-only", allow: WebDAV.allowed)
        }
    }

    /// `/dav/FOLDER/PATH`: the snapshot a folder names, and the path inside it; nil for the root.
    private func davLocate(_ path: String) throws -> (SnapshotEntry, [UInt8])? {
        let trimmed = path.drop { $0 == "/" }
        guard !trimmed.isEmpty else { return nil }
        let folder = trimmed.prefix { $0 != "/" }
        guard let name = String(folder).removingPercentEncoding, let entry = WebDAV.entry(forFolder: name, in: try catalog.entries()) else { return nil }
        guard let inside = URLPath.decode(trimmed.dropFirst(folder.count)) else { throw WebError("bad path") }
        return (entry, inside)
    }

    private func propfind(_ path: String, depth: String) throws -> Response {
        let trimmed = path.drop { $0 == "/" }
        var resources: [WebDAV.Resource] = []
        if trimmed.isEmpty {
            let entries = try catalog.entries()
            resources.append(.init(href: "/dav/", isCollection: true, size: 0, modified: entries.first?.date ?? Date(), name: "silo", contentType: "httpd/unix-directory"))
            if depth == "1" {
                for entry in entries {
                    let name = WebDAV.folderName(entry)
                    resources.append(.init(href: "/dav/\(name)/", isCollection: true, size: 0, modified: entry.date, name: name, contentType: "httpd/unix-directory"))
                }
            }
            return Self.multistatus(resources)
        }
        guard let (entry, inside) = try davLocate(path), let node = try catalog.node(entry, at: inside) else { return Self.text(.notFound, "not found") }
        let folder = WebDAV.folderName(entry)
        let base = "/dav/\(folder)" + (inside == [47] ? "" : URLPath.encode(inside))
        var own = WebDAV.resource(href: base + (node.type == .dir ? "/" : ""), node: node)
        if inside == [47] { own = .init(href: base + "/", isCollection: true, size: 0, modified: entry.date, name: folder, contentType: "httpd/unix-directory") }
        resources.append(own)
        if depth == "1", node.type == .dir {
            for child in try catalog.children(of: node) where child.type == .dir || child.type == .file {
                resources.append(WebDAV.resource(href: base + "/" + URLPath.encodeSegment(child.name) + (child.type == .dir ? "/" : ""), node: child))
            }
        }
        return Self.multistatus(resources)
    }

    /// A GET on a folder: a plain HTML listing, for browsers that open the drive's URL.
    private func davListing(_ path: String, entry: SnapshotEntry, inside: [UInt8]) throws -> Response {
        guard let node = try catalog.node(entry, at: inside) else { return Self.text(.notFound, "not found") }
        let base = "/dav/\(WebDAV.folderName(entry))" + (inside == [47] ? "" : URLPath.encode(inside))
        let items = try catalog.children(of: node).map { "<li><a href=\"\(base)/\(URLPath.encodeSegment($0.name))\($0.type == .dir ? "/" : "")\">\(HTML.escape($0.name.displayString))</a></li>" }
        return Self.html("<!DOCTYPE html><html><body><ul>\(items.joined())</ul></body></html>")
    }

    // MARK: authentication

    private func login(_ request: Request, _ authenticator: Authenticator, client: String, language: Language) async throws -> Response {
        let next = request.uri.queryParameters["next"].map { String($0).removingPercentEncoding ?? "/" } ?? "/"
        if request.method == .get { return Self.html(Authenticator.loginPage(language: language, message: nil, next: next)) }
        guard request.method == .post else { return Self.text(.methodNotAllowed, "GET or POST", allow: "GET, POST") }
        var request = request
        let body = try await request.collectBody(upTo: 16 * 1024)
        let form = Self.form(String(buffer: body))
        // Only a path of this server: never a redirect elsewhere.
        let target = form["next"].flatMap { Self.isLocalPath($0) ? $0 : nil } ?? "/"
        switch authenticator.login(password: form["password"] ?? "", client: client) {
        case .session(let token):
            var response = Self.redirect(target)
            response.headers[.setCookie] = Authenticator.cookie(token, secure: secure)
            return response
        case .wrong:
            return Self.html(Authenticator.loginPage(language: language, message: language.strings.wrongPassword, next: target), status: .unauthorized)
        case .tooMany:
            return Self.html(Authenticator.loginPage(language: language, message: language.strings.tooMany, next: target), status: .tooManyRequests)
        }
    }

    /// WebDAV clients send Basic credentials; the user name is not checked, the password is
    /// (rate-limited like the form).
    private func basicAuthorized(_ request: Request, _ authenticator: Authenticator, client: String) -> Bool {
        guard let header = request.headers[.authorization], header.hasPrefix("Basic "),
              let decoded = Data(base64Encoded: String(header.dropFirst(6))).map({ String(decoding: $0, as: UTF8.self) }),
              let colon = decoded.firstIndex(of: ":") else { return false }
        return authenticator.checkEachRequest(password: String(decoded[decoded.index(after: colon)...]), client: client)
    }

    // MARK: responses

    static func form(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0) }
            if let key = parts.first { fields[key] = parts.count > 1 ? parts[1] : "" }
        }
        return fields
    }

    static func securityHeaders() -> HTTPFields {
        var headers = HTTPFields()
        headers[.contentSecurityPolicy] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; script-src 'self'; form-action 'self'; frame-ancestors 'none'"
        headers[.xContentTypeOptions] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        return headers
    }

    static func html(_ page: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = securityHeaders()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: page)))
    }

    static func respond(_ status: HTTPResponse.Status, type: String, _ data: Data) -> Response {
        var headers = securityHeaders()
        headers[.contentType] = type
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func text(_ status: HTTPResponse.Status, _ message: String, allow: String? = nil) -> Response {
        var headers = securityHeaders()
        headers[.contentType] = "text/plain; charset=utf-8"
        if let allow { headers[.allow] = allow }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: message + "\n")))
    }

    static func redirect(_ location: String) -> Response {
        var headers = securityHeaders()
        headers[.location] = location
        return Response(status: .seeOther, headers: headers)
    }

    static func multistatus(_ resources: [WebDAV.Resource]) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/xml; charset=utf-8"
        return Response(status: HTTPResponse.Status(code: 207, reasonPhrase: "Multi-Status"), headers: headers, body: .init(byteBuffer: ByteBuffer(string: WebDAV.multistatus(resources))))
    }

    /// A path of this server, never another site's: `//host` and `/\\host` are taken by browsers
    /// as another host.
    static func isLocalPath(_ path: String) -> Bool {
        path.hasPrefix("/") && !path.hasPrefix("//") && !path.hasPrefix("/\\") && !path.contains(where: { $0.isNewline })
    }

    static func asciiName(_ name: String) -> String {
        String(name.map { $0.isASCII && $0 != "\"" && $0 != "\\" && !$0.isNewline ? $0 : "_" })
    }
}

/// Rendered listing pages, by what they show, up to 32 MiB; the oldest go first. A page of an
/// immutable snapshot stays right for as long as it is kept.
final class PageCache: @unchecked Sendable {
    static let budget = 32 << 20
    private let lock = NSLock()
    private var pages: [String: String] = [:]
    private var order: [String] = []
    private var bytes = 0

    func page(_ key: String) -> String? { lock.withLock { pages[key] } }

    func keep(_ page: String, for key: String) {
        lock.withLock {
            guard pages[key] == nil, page.utf8.count < Self.budget / 4 else { return }
            pages[key] = page
            order.append(key)
            bytes += page.utf8.count
            while bytes > Self.budget, !order.isEmpty {
                let oldest = order.removeFirst()
                bytes -= pages.removeValue(forKey: oldest)?.utf8.count ?? 0
            }
        }
    }
}
