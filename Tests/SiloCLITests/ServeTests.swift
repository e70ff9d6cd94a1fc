import Foundation
import XCTest

/// `silo serve` at the HTTP level, with the real binary and real clients: curl for pages,
/// downloads, ranges, authentication and attacks; rclone for the WebDAV drive.
final class ServeTests: XCTestCase {
    private var env: CLIEnvironment!
    private var server: ServeProcess?
    private var base = ""
    private var snapshots: [String] = []

    override func setUpWithError() throws {
        env = try CLIEnvironment()
        env.environment["TZ"] = "UTC"
        try env.write("site/docs/readme.txt", Data("hello <script>alert(1)</script> 안녕하세요\nline two\n".utf8))
        try env.write("site/img/logo.png", Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + [UInt8](repeating: 7, count: 300)))
        try env.write("site/bin/blob.dat", Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31) }))
        var big = Data(count: 3 * 1024 * 1024 + 123)
        big.withUnsafeMutableBytes { raw in for i in 0..<raw.count { raw[i] = UInt8(truncatingIfNeeded: (i &* 2654435761) >> 13) } }
        try env.write("site/media/big.bin", big)
        try env.write("site/한글 이름.txt", Data("korean name\n".utf8))
        try env.expect(0, ["init", "-q"])
        try env.expect(0, ["backup", "-q", env.path("site")])
        try env.write("site/docs/readme.txt", Data("hello again\nline two\nline three\n".utf8))
        try env.write("site/docs/new.txt", Data("new file\n".utf8))
        try env.expect(0, ["backup", "-q", env.path("site")])
        snapshots = try env.expect(0, ["snapshots", "--json"]).jsonLines.filter { $0["message_type"] as? String == "snapshot" }.compactMap { $0["id"] as? String }
        XCTAssertEqual(snapshots.count, 2)
    }

    override func tearDown() {
        server?.stop()
        server = nil
        env = nil
        super.tearDown()
    }

    private func start(_ extra: [String] = []) throws {
        let process = try ServeProcess(env, ["serve", "--listen", "127.0.0.1:0", "--json"] + extra)
        server = process
        base = (extra.contains("--tls-cert") ? "https" : "http") + "://127.0.0.1:\(try process.port())"
    }

    // MARK: pages

    func testPagesBrowseViewHistoryDiffAndSearch() throws {
        try start()
        let newest = snapshots[1], oldest = snapshots[0]
        let home = try curl("/")
        XCTAssertEqual(home.status, 200)
        XCTAssertTrue(home.body.contains(String(newest.prefix(8))) && home.body.contains("<svg"), home.body)
        XCTAssertTrue(home.headers["content-security-policy"]?.contains("script-src 'self'") == true)

        let root = try curl("/s/\(newest)/")
        XCTAssertEqual(root.status, 200)
        XCTAssertTrue(root.body.contains("tmp") || root.body.contains(env.root.split(separator: "/").first.map(String.init) ?? ""), root.body)
        let site = try curl("/s/\(newest)\(env.path("site"))/")
        for name in ["docs/", "img/", "media/", "bin/"] { XCTAssertTrue(site.body.contains(">\(name)<"), "\(name) in\n\(site.body)") }
        XCTAssertTrue(site.body.contains(">12 B<"), "sizes are shown")
        XCTAssertTrue(try curl("/s/\(newest)\(env.path("site"))/media/").body.contains("3.0 MiB"))
        XCTAssertTrue(site.body.contains("-rw-r--r--") || site.body.contains("drwx"), "modes are shown")
        // Sorted by size, largest first: media before docs.
        let bySize = try curl("/s/\(newest)\(env.path("site"))/media/?sort=size&desc=1")
        XCTAssertTrue(bySize.body.contains("big.bin"))
        let filtered = try curl("/s/\(newest)\(env.path("site"))/?q=med")
        XCTAssertTrue(filtered.body.contains("media/") && !filtered.body.contains(">docs/<"), filtered.body)

        // A text file: its preview, escaped; its history; a line diff.
        let file = try curl("/s/\(newest)\(env.path("site"))/docs/readme.txt")
        XCTAssertTrue(file.body.contains("hello again") && file.body.contains("UTF-8"), file.body)
        let oldFile = try curl("/s/\(oldest)\(env.path("site"))/docs/readme.txt")
        XCTAssertTrue(oldFile.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !oldFile.body.contains("<script>alert"), "content is escaped")
        XCTAssertTrue(oldFile.body.contains("안녕하세요"))
        XCTAssertEqual(file.body.components(separatedBy: "<strong>changed</strong>").count - 1, 2, "both versions differ from the one before")
        let lineDiff = try curl("/diff?a=\(oldest)&b=\(newest)&path=\(env.path("site"))/docs/readme.txt")
        XCTAssertTrue(lineDiff.body.contains("<span class=add>+line three</span>") && lineDiff.body.contains("<span class=del>-hello &lt;script&gt;"), lineDiff.body)

        // Binary data as hex; an image previewed inline.
        XCTAssertTrue(try curl("/s/\(newest)\(env.path("site"))/bin/blob.dat").body.contains("00000000  00 1f 3e"))
        XCTAssertTrue(try curl("/s/\(newest)\(env.path("site"))/img/logo.png").body.contains("<img class=preview"))

        // A snapshot diff with sizes.
        let diff = try curl("/diff?a=\(oldest)&b=\(newest)")
        XCTAssertTrue(diff.body.contains("docs/new.txt") && diff.body.contains("Added 1"), diff.body)

        // Search across snapshots; the status page without a configuration.
        let found = try curl("/search?q=*.txt")
        XCTAssertTrue(found.body.contains("readme.txt") && found.body.contains("new.txt") && found.body.contains("한글 이름.txt"), found.body)
        XCTAssertEqual(try curl("/status").status, 200)

        // Korean when the browser asks for it.
        let korean = try curl("/", headers: ["Accept-Language: ko-KR,ko;q=0.9,en;q=0.5"])
        XCTAssertTrue(korean.body.contains("스냅샷") && korean.body.contains("lang=\"ko\""))
        // A name that is not ASCII, in a URL and back.
        let encoded = env.path("site").addingPercentEncoding(withAllowedCharacters: .urlPathAllowed)! + "/%ED%95%9C%EA%B8%80%20%EC%9D%B4%EB%A6%84.txt"
        XCTAssertTrue(try curl("/s/\(newest)\(encoded)").body.contains("korean name"))
    }

    func testHugeDirectoriesAreListedInPagesAndSnapshotsCanBeSwitched() throws {
        let many = env.path("many")
        try FileManager.default.createDirectory(atPath: many, withIntermediateDirectories: true)
        for index in 0..<5_200 { _ = FileManager.default.createFile(atPath: many + "/f\(index).txt", contents: Data("\(index)".utf8)) }
        try env.expect(0, ["backup", "-q", many])
        try start()
        let id = try XCTUnwrap(try env.expect(0, ["snapshots", "--json", "--latest", "1", "--path", many]).jsonLines.first { $0["message_type"] as? String == "snapshot" }?["id"] as? String)
        let first = try curl("/s/\(id)\(many)/")
        XCTAssertEqual(first.body.components(separatedBy: "<tr><td><a href=").count - 1, 5_000, "one page of 5,000")
        XCTAssertTrue(first.body.contains("5000 / 5200"), "the count of the whole directory")
        let second = try curl("/s/\(id)\(many)/?page=1")
        XCTAssertEqual(second.body.components(separatedBy: "<tr><td><a href=").count - 1, 200)

        // The same path in another snapshot.
        let moved = try curl("/goto?s=\(snapshots[0])&path=\(env.path("site"))/docs")
        XCTAssertEqual(moved.status, 303)
        XCTAssertEqual(moved.headers["location"], "/s/\(snapshots[0])\(env.path("site"))/docs")
        XCTAssertTrue(try curl("/s/\(snapshots[1])\(env.path("site"))/docs/").body.contains("name=s>"), "the switcher lists the source's snapshots")
    }

    func testStatusShowsTheMonitorsChecksAndRuns() throws {
        try env.write("silo.yaml", Data("""
            repository:
              location: \(env.repo)
            sources:
              site:
                paths: [\(env.path("site"))]
            """.utf8))
        chmod(env.path("silo.yaml"), 0o600)
        try env.expect(0, ["run", "--config", env.path("silo.yaml")])
        try start(["--config", env.path("silo.yaml")])
        let status = try curl("/status")
        XCTAssertTrue(status.body.contains("freshness/site") && status.body.contains(">run<") && status.body.contains("succeeded"), status.body)
    }

    // MARK: downloads

    func testDownloadsRangesAndTarballs() throws {
        try start()
        let newest = snapshots[1]
        let bigPath = "/raw/\(newest)\(env.path("site"))/media/big.bin"
        let original = try XCTUnwrap(FileManager.default.contents(atPath: env.path("site/media/big.bin")))
        let whole = try curl(bigPath, binary: true)
        XCTAssertEqual(whole.status, 200)
        XCTAssertEqual(whole.data, original)
        XCTAssertEqual(whole.headers["content-length"], String(original.count))
        XCTAssertEqual(whole.headers["accept-ranges"], "bytes")
        XCTAssertTrue(whole.headers["content-disposition"]?.hasPrefix("attachment; filename=\"big.bin\"") == true)

        // Ranges across chunk boundaries, a suffix, an open end, one beyond the end.
        for (header, range) in [("bytes=100-199", 100..<200), ("bytes=1048000-2200000", 1_048_000..<2_200_001),
                                ("bytes=-500", (original.count - 500)..<original.count), ("bytes=3000000-", 3_000_000..<original.count)] {
            let part = try curl(bigPath, headers: ["Range: \(header)"], binary: true)
            XCTAssertEqual(part.status, 206, header)
            XCTAssertEqual(part.data, original.subdata(in: range), header)
            XCTAssertEqual(part.headers["content-range"], "bytes \(range.lowerBound)-\(range.upperBound - 1)/\(original.count)", header)
        }
        let beyond = try curl(bigPath, headers: ["Range: bytes=99999999-"])
        XCTAssertEqual(beyond.status, 416)
        XCTAssertEqual(beyond.headers["content-range"], "bytes */\(original.count)")
        XCTAssertEqual(try curl(bigPath, headers: ["Range: bytes=5-1"], binary: true).data, original, "a backwards range is ignored: the whole file")
        let head = try curl(bigPath, method: "HEAD")
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.headers["content-length"], String(original.count))
        XCTAssertEqual(try curl("/raw/\(newest)\(env.path("site"))/img/logo.png?inline=1").headers["content-type"], "image/png")

        // A directory as a .tar.gz, read by GNU tar.
        let tarball = try curl("/tar/\(newest)\(env.path("site"))/docs/", binary: true)
        XCTAssertEqual(tarball.status, 200)
        XCTAssertEqual(tarball.headers["content-type"], "application/gzip")
        let out = env.path("untar")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try tarball.data.write(to: URL(fileURLWithPath: env.path("docs.tar.gz")))
        XCTAssertEqual(try env.shell("tar xzf '\(env.path("docs.tar.gz"))' -C '\(out)'"), 0)
        XCTAssertEqual(FileManager.default.contents(atPath: out + env.path("site") + "/docs/new.txt"), Data("new file\n".utf8))
    }

    // MARK: security

    func testTraversalWritesAndTheRepositoryPasswordAreRefused() throws {
        try start()
        let newest = snapshots[1]
        for attack in ["/s/\(newest)/../../../../etc/passwd", "/s/\(newest)/%2e%2e/%2e%2e/etc/passwd", "/raw/\(newest)/tmp/%00x",
                       "/raw/\(newest)/%zz", "/s/nothex/etc/"] {
            let answer = try curl(attack, pathAsIs: true)
            XCTAssertTrue([400, 404].contains(answer.status), "\(attack): \(answer.status)")
            XCTAssertFalse(answer.body.contains("root:x:0:0"), attack)
        }
        for method in ["POST", "PUT", "DELETE"] { XCTAssertEqual(try curl("/", method: method).status, 405, method) }
        for method in ["PUT", "DELETE", "MKCOL", "MOVE", "COPY", "PROPPATCH", "LOCK"] {
            XCTAssertEqual(try curl("/dav/x", method: method).status, 405, method)
        }
        var bodies = ""
        for path in ["/", "/s/\(newest)/", "/search?q=*", "/status", "/dav/"] { bodies += try curl(path).body }
        XCTAssertFalse(bodies.contains("correct horse"), "the repository password never reaches the browser")
        // A huge page number and a sort that does not exist are harmless.
        XCTAssertEqual(try curl("/s/\(newest)\(env.path("site"))/?page=999999999&sort=nonsense").status, 200)
    }

    func testAnAddressBeyondLoopbackNeedsAuthAndLoginsAreRateLimited() throws {
        let refused = try env.run(["serve", "--listen", "0.0.0.0:0"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("--auth"), refused.stderr)
        try env.write("web-password", Data("open sesame\n".utf8))
        chmod(env.path("web-password"), 0o644)
        XCTAssertEqual(try env.run(["serve", "--auth", env.path("web-password")]).status, 64, "a password file others can read")
        chmod(env.path("web-password"), 0o600)
        try start(["--auth", env.path("web-password")])

        let anonymous = try curl("/")
        XCTAssertEqual(anonymous.status, 303)
        XCTAssertTrue(anonymous.headers["location"]?.hasPrefix("/login") == true)
        XCTAssertEqual(try curl("/dav/", method: "PROPFIND", headers: ["Depth: 1"]).status, 401)
        let wrong = try curl("/login", method: "POST", form: "password=nope")
        XCTAssertEqual(wrong.status, 401)
        let right = try curl("/login", method: "POST", form: "password=open+sesame&next=/")
        XCTAssertEqual(right.status, 303)
        let cookie = try XCTUnwrap(right.headers["set-cookie"])
        XCTAssertTrue(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), cookie)
        XCTAssertFalse(cookie.contains("Secure"), "no Secure flag without TLS")
        let session = String(cookie.prefix { $0 != ";" })
        XCTAssertEqual(try curl("/", headers: ["Cookie: \(session)"]).status, 200)
        XCTAssertEqual(try curl("/dav/", method: "PROPFIND", headers: ["Depth: 1"], user: "any:open sesame").status, 207)
        // No open redirect through `next`: another host is never a login's target.
        for evil in ["//evil.example/", "/\\evil.example/", "https://evil.example/"] {
            let answer = try curl("/login", method: "POST", form: "password=open+sesame&next=" + evil.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
            XCTAssertEqual(answer.headers["location"], "/", evil)
        }
        // Five failures a minute, then refused even with the right password.
        for _ in 0..<5 { _ = try curl("/login", method: "POST", form: "password=guess") }
        XCTAssertEqual(try curl("/login", method: "POST", form: "password=open+sesame").status, 429)
        // Logging out ends the session.
        XCTAssertEqual(try curl("/logout", headers: ["Cookie: \(session)"]).status, 303)
        XCTAssertEqual(try curl("/", headers: ["Cookie: \(session)"]).status, 303)
    }

    func testTLS() throws {
        let key = env.path("key.pem"), cert = env.path("cert.pem")
        XCTAssertEqual(try env.shell("openssl req -x509 -newkey rsa:2048 -nodes -keyout '\(key)' -out '\(cert)' -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null"), 0)
        try env.write("web-password", Data("tls pass\n".utf8))
        chmod(env.path("web-password"), 0o600)
        try start(["--tls-cert", cert, "--tls-key", key, "--auth", env.path("web-password")])
        let login = try curl("/login", method: "POST", form: "password=tls+pass", cacert: cert)
        XCTAssertEqual(login.status, 303)
        XCTAssertTrue(login.headers["set-cookie"]?.contains("; Secure") == true, "Secure under TLS")
    }

    // MARK: WebDAV

    func testWebDAVListsAndRcloneCopiesASnapshot() throws {
        try start()
        let newest = snapshots[1]
        let listing = try curl("/dav/", method: "PROPFIND", headers: ["Depth: 1"])
        XCTAssertEqual(listing.status, 207)
        let folder = try XCTUnwrap(listing.body.components(separatedBy: "<D:href>/dav/").dropFirst().map { String($0.prefix { $0 != "/" }) }
            .first { $0.hasSuffix("_" + newest.prefix(8)) }, listing.body)
        XCTAssertEqual(try curl("/dav/", method: "PROPFIND", headers: ["Depth: infinity"]).status, 403)
        let inner = try curl("/dav/\(folder)\(env.path("site"))/media/", method: "PROPFIND", headers: ["Depth: 1"])
        XCTAssertTrue(inner.body.contains("big.bin") && inner.body.contains("<D:getcontentlength>\(3 * 1024 * 1024 + 123)</D:getcontentlength>"), inner.body)
        XCTAssertEqual(try curl("/dav/", method: "OPTIONS").headers["dav"], "1")

        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/rclone") else {
            XCTFail("rclone is not installed: make test-deps installs it")
            return
        }
        let copy = env.path("rclone-copy")
        let result = PostgresTestServer.run("/usr/bin/rclone", ["copy", ":webdav:/\(folder)\(env.path("site"))", copy, "--webdav-url", base + "/dav",
                                                               "--config", "/dev/null", "-q"], environment: ["HOME": env.root])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(contentDigests(copy), contentDigests(env.path("site")), "rclone's copy is the snapshot, byte for byte")
    }

    // MARK: helpers

    private struct Answer {
        let status: Int
        let headers: [String: String]
        let data: Data
        var body: String { String(decoding: data, as: UTF8.self) }
    }

    private func curl(_ path: String, method: String = "GET", headers: [String] = [], form: String? = nil, binary: Bool = false,
                      user: String? = nil, cacert: String? = nil, pathAsIs: Bool = false) throws -> Answer {
        let out = env.path("curl-body"), head = env.path("curl-headers")
        var arguments = ["-s", "-o", out, "-D", head, "-X", method, "--max-time", "30"]
        if method == "HEAD" { arguments = ["-s", "-I", "-o", out, "-D", head, "--max-time", "30"] }
        if pathAsIs { arguments.append("--path-as-is") }
        for header in headers { arguments += ["-H", header] }
        if let form { arguments += ["--data", form] }
        if let user { arguments += ["-u", user] }
        if let cacert { arguments += ["--cacert", cacert] }
        arguments.append(base + path)
        let result = PostgresTestServer.run("/usr/bin/curl", arguments, environment: [:])
        XCTAssertEqual(result.status, 0, "curl \(path): \(result.stderr)")
        let headerText = (try? String(contentsOfFile: head, encoding: .utf8)) ?? ""
        var fields: [String: String] = [:]
        var status = 0
        for line in headerText.components(separatedBy: "\r\n") {
            if line.hasPrefix("HTTP/") { status = Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0; fields = [:]; continue }
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Answer(status: status, headers: fields, data: FileManager.default.contents(atPath: out) ?? Data())
    }
}

/// `silo serve` in the background; its `listening` JSON line gives the port.
final class ServeProcess {
    private let process: BackgroundRun
    private let output: String

    init(_ env: CLIEnvironment, _ arguments: [String]) throws {
        output = env.path("serve-\(UUID().uuidString.prefix(6)).out")
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        process = try BackgroundRun("/bin/sh", ["-c", "exec '\(CLIEnvironment.binary)' \"$@\" >'\(output)' 2>&1", "silo"] + arguments, environment: env.environment)
    }

    func port() throws -> Int {
        for _ in 0..<300 {
            let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            for line in text.split(separator: "\n") {
                if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], object["message_type"] as? String == "listening",
                   let port = object["port"] as? Int { return port }
            }
            guard process.isRunning else { throw XCTSkip("silo serve exited: \(text)") }
            usleep(50_000)
        }
        throw XCTSkip("silo serve never listened")
    }

    func stop() {
        kill(process.pid, SIGTERM)
        _ = process.wait()
    }
}

/// The pages in a real browser: headless Chromium (scripts/browser-test.py, over the DevTools
/// protocol) opens the snapshot list, follows the links down to a file, downloads it and
/// compares its bytes; a screenshot of every page goes to `.build/test-output/browser`.
final class BrowserTests: XCTestCase {
    func testChromiumFollowsTheLinksAndDownloadsAFile() throws {
        let env = try CLIEnvironment()
        let file = env.path("site/docs/report 2026.txt")
        try env.write("site/docs/report 2026.txt", text(200_000, seed: 5))
        try env.write("site/docs/other.txt", Data("other\n".utf8))
        try env.expect(0, ["init", "-q"])
        try env.expect(0, ["backup", "-q", env.path("site")])
        let server = try ServeProcess(env, ["serve", "--listen", "127.0.0.1:0", "--json"])
        defer { server.stop() }
        let port = try server.port()
        let shots = PostgresTestServer.packageRoot + "/.build/test-output/browser"
        try? FileManager.default.removeItem(atPath: shots)
        let result = PostgresTestServer.run("/usr/bin/python3", [PostgresTestServer.packageRoot + "/scripts/browser-test.py", "http://127.0.0.1:\(port)",
                                                                 file, file, shots], environment: ["HOME": env.root])
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
        XCTAssertTrue(result.stdout.contains("identical"), result.stdout)
        let pictures = (try? FileManager.default.contentsOfDirectory(atPath: shots)) ?? []
        XCTAssertGreaterThanOrEqual(pictures.filter { $0.hasSuffix(".png") }.count, 4, "\(pictures)")
    }
}
