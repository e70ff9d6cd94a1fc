import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import SiloStorage

/// An `ObjectStore` on an S3-compatible service (AWS S3, Ceph RGW, MinIO, OpenStack Swift's
/// s3api, GCS's S3 interface): SigV4-signed requests with the payload's SHA-256, ranged GETs,
/// ListObjectsV2 with continuation, multipart uploads above a threshold (aborted on failure),
/// and retries with exponential backoff and jitter on 5xx, 429, SlowDown and lost connections.
/// 403 and 404 are not retried and say what is wrong, nor are certificate and TLS errors.
public final class S3ObjectStore: ObjectStore, @unchecked Sendable {
    public let configuration: S3Configuration
    private let signer: SigV4
    private let client: HTTPClient
    private let counterLock = NSLock()
    private var counts: [String: Int] = [:]

    public init(_ configuration: S3Configuration) {
        self.configuration = configuration
        signer = SigV4(accessKey: configuration.accessKey, secretKey: configuration.secretKey,
                       sessionToken: configuration.sessionToken, region: configuration.region)
        client = HTTPClient(timeout: configuration.timeout, caBundle: configuration.caBundle,
                            httpsProxy: configuration.httpsProxy, noProxy: configuration.noProxy)
    }

    public var location: String { configuration.description }

    /// False: the services behind this protocol differ (OpenStack Swift's container listings
    /// are eventually consistent, and an endpoint does not say what it runs), so prune leaves
    /// what it marks for a later run after the grace period rather than trust a listing.
    public var listingIsReadAfterWrite: Bool { false }

    /// Requests sent so far, by method (retries included): the cost a backup has on a paid service.
    public var requestCounts: [String: Int] { counterLock.withLock { counts } }
    public var requestCount: Int? { requestCounts.values.reduce(0, +) }

    /// True: S3 PUTs (and completed multipart uploads) replace an object whole.
    public var hasAtomicReplace: Bool { true }

    // MARK: ObjectStore

    public func put(_ key: String, data: Data) throws {
        try ObjectKey.validate(key)
        if data.count > configuration.multipartThreshold {
            try multipartPut(key, data)
            return
        }
        _ = try request("PUT", key: key, body: data, expect: [200])
    }

    public func get(_ key: String) throws -> Data {
        try ObjectKey.validate(key)
        return try request("GET", key: key, expect: [200]).body
    }

    public func get(_ key: String, offset: UInt64, length: Int) throws -> Data {
        try ObjectKey.validate(key)
        guard length >= 0, offset <= UInt64(Int64.max) - UInt64(length) else {
            throw StorageError(.outOfRange, key: key, "range \(offset)+\(length) is not a valid range")
        }
        guard length > 0 else {
            let size = try stat(key).size
            if offset > size { throw StorageError(.outOfRange, key: key, "offset \(offset) beyond the object's \(size) bytes") }
            return Data()
        }
        let response = try request("GET", key: key, headers: ["Range": "bytes=\(offset)-\(offset + UInt64(length) - 1)"], expect: [206, 200, 416])
        if response.status == 416 || response.body.count < length {
            throw StorageError(.outOfRange, key: key, "range \(offset)+\(length) beyond the object's end")
        }
        // A server that ignores Range answers 200 with the whole object.
        if response.status == 200 {
            let start = Int(offset)
            return response.body.subdata(in: start..<(start + length))
        }
        return response.body
    }

    public func list(prefix: String) throws -> [String] {
        var keys: [String] = []
        var token: String?
        let base = fullKey("")
        repeat {
            var query = [("list-type", "2"), ("prefix", base + prefix), ("max-keys", "1000")]
            if let token { query.append(("continuation-token", token)) }
            let response = try request("GET", key: nil, query: query, expect: [200])
            let page = try ListPage(response.body)
            for key in page.keys where key.hasPrefix(base) {
                let relative = String(key.dropFirst(base.count))
                // Only what the key rules allow is ours (a stranger's object in the bucket is not).
                if (try? ObjectKey.validate(relative)) != nil { keys.append(relative) }
            }
            token = page.truncated ? page.nextToken : nil
            if page.truncated && token == nil { throw StorageError(.io, key: prefix, "the server said the listing is truncated but gave no continuation token") }
        } while token != nil
        return keys
    }

    public func stat(_ key: String) throws -> ObjectInfo {
        try ObjectKey.validate(key)
        let response = try request("HEAD", key: key, expect: [200])
        guard let length = response.header("content-length").flatMap(UInt64.init) else {
            throw StorageError(.io, key: key, "the server gave no Content-Length")
        }
        return ObjectInfo(key: key, size: length)
    }

    public func delete(_ key: String) throws {
        try ObjectKey.validate(key)
        _ = try request("DELETE", key: key, expect: [200, 204, 404])
    }

    /// Deletes many keys in requests of up to 1000 (multi-object delete, which requires Content-MD5).
    public func delete(_ keys: [String]) throws {
        for key in keys { try ObjectKey.validate(key) }
        for start in stride(from: 0, to: keys.count, by: 1000) {
            let batch = keys[start..<min(keys.count, start + 1000)]
            var xml = "<Delete><Quiet>true</Quiet>"
            for key in batch { xml += "<Object><Key>\(Self.xmlEscape(fullKey(key)))</Key></Object>" }
            xml += "</Delete>"
            let body = Data(xml.utf8)
            let response = try request("POST", key: nil, query: [("delete", "")], headers: ["Content-MD5": SigV4.md5Base64(body)],
                                       body: body, expect: [200])
            if let error = ListPage.firstDeleteError(response.body) {
                throw StorageError(.io, key: error.key, "multi-object delete failed: \(error.message)")
            }
        }
    }

    // MARK: multipart

    private func multipartPut(_ key: String, _ data: Data) throws {
        let created = try request("POST", key: key, query: [("uploads", "")], expect: [200])
        guard let uploadID = ListPage.value(of: "UploadId", in: created.body) else {
            throw StorageError(.io, key: key, "the server did not start a multipart upload")
        }
        // The parts are this process's temporary objects: SIGINT or SIGTERM aborts the upload,
        // which would otherwise be stored (and billed) unseen until a lifecycle rule ends it.
        let upload = InterruptibleUpload()
        let cleanup = InterruptCleanup.shared.register(.temporaries) { [self] in
            guard upload.claimAbort() else { return }
            _ = try? request("DELETE", key: key, query: [("uploadId", uploadID)], expect: [204, 200, 404])
        }
        defer { InterruptCleanup.shared.unregister(cleanup) }
        do {
            var etags: [String] = []
            var part = 1
            for start in stride(from: 0, to: data.count, by: configuration.partSize) {
                let body = data.subdata(in: start..<min(data.count, start + configuration.partSize))
                let response = try request("PUT", key: key, query: [("partNumber", String(part)), ("uploadId", uploadID)], body: body, expect: [200])
                guard let etag = response.header("etag") else { throw StorageError(.io, key: key, "part \(part) got no ETag") }
                etags.append(etag)
                part += 1
            }
            var xml = "<CompleteMultipartUpload>"
            for (index, etag) in etags.enumerated() { xml += "<Part><PartNumber>\(index + 1)</PartNumber><ETag>\(Self.xmlEscape(etag))</ETag></Part>" }
            xml += "</CompleteMultipartUpload>"
            guard upload.claimCompletion() else { throw StorageError(.io, key: key, "interrupted; the multipart upload was aborted") }
            let completed = try request("POST", key: key, query: [("uploadId", uploadID)], body: Data(xml.utf8), expect: [200])
            // S3 may answer 200 with an error document when completion fails late.
            if ListPage.value(of: "Code", in: completed.body) != nil {
                throw StorageError(.io, key: key, "completing the multipart upload failed: \(String(decoding: completed.body.prefix(300), as: UTF8.self))")
            }
        } catch {
            _ = try? request("DELETE", key: key, query: [("uploadId", uploadID)], expect: [204, 200, 404])
            throw error
        }
    }

    // MARK: requests

    private func fullKey(_ key: String) -> String {
        configuration.prefix.isEmpty ? key : configuration.prefix + "/" + key
    }

    func request(_ method: String, key: String?, query: [(String, String)] = [], headers extra: [String: String] = [:],
                         body: Data = Data(), expect: Set<Int>) throws -> HTTPClient.Response {
        var host = configuration.endpoint.host!
        if let port = configuration.endpoint.port { host += ":\(port)" }
        var path: String
        if configuration.virtualHost {
            host = configuration.bucket + "." + host
            path = "/" + (key.map { SigV4.encode(fullKey($0), keepSlash: true) } ?? "")
        } else {
            path = "/" + SigV4.encode(configuration.bucket) + (key.map { "/" + SigV4.encode(fullKey($0), keepSlash: true) } ?? "/")
            if key == nil { path = "/" + SigV4.encode(configuration.bucket) }
        }
        let payloadHash = SigV4.hex(SigV4.sha256(body))
        let queryString = query.map { $0.1.isEmpty && ["uploads", "delete"].contains($0.0) ? SigV4.encode($0.0) + "=" : SigV4.encode($0.0) + "=" + SigV4.encode($0.1) }
            .joined(separator: "&")
        let url = URL(string: "\(configuration.endpoint.scheme!)://\(host)\(path)\(queryString.isEmpty ? "" : "?" + queryString)")!
        let described = key ?? "bucket \(configuration.bucket)"

        var attempt = 0
        while true {
            attempt += 1
            var headers = extra
            let authorization = signer.sign(method: method, host: host, path: path, query: query, headers: &headers,
                                            payloadHash: payloadHash, date: Date())
            var request = HTTPClient.Request(method: method, url: url, headers: headers.map { ($0.key, $0.value) }, body: body)
            request.headers.append(("Authorization", authorization))
            if !body.isEmpty || method == "PUT" || method == "POST" {
                request.headers.append(("Content-Length", String(body.count)))
            }
            counterLock.withLock { counts[method, default: 0] += 1 }

            let outcome: Result<HTTPClient.Response, Error> = Result { try client.send(request) }
            let retryable: String
            switch outcome {
            case .success(let response):
                if expect.contains(response.status) { return response }
                let code = ListPage.value(of: "Code", in: response.body) ?? ""
                if response.status >= 500 || response.status == 429 || code == "SlowDown" || code == "RequestTimeout" {
                    retryable = "HTTP \(response.status) \(code)"
                } else {
                    throw Self.error(for: response, code: code, key: key, described: described, configuration: configuration)
                }
            case .failure(let error as HTTPClient.NotTransientError):
                // A certificate or TLS problem: the next attempt would meet the same.
                throw StorageError(.io, key: described, "\(method) \(configuration.endpoint.absoluteString): \(error.message)")
            case .failure(let error):
                retryable = "\(error)"
            }
            guard attempt < configuration.maxAttempts else {
                throw StorageError(.io, key: described, "\(method) failed after \(attempt) attempts, last: \(retryable); is the object store at \(configuration.endpoint.absoluteString) up?")
            }
            // Exponential backoff with full jitter, capped at 10 s.
            let ceiling = min(10.0, configuration.baseDelay * pow(2.0, Double(attempt - 1)))
            Thread.sleep(forTimeInterval: Double.random(in: ceiling / 2...ceiling))
        }
    }

    private static func error(for response: HTTPClient.Response, code: String, key: String?, described: String,
                              configuration: S3Configuration) -> StorageError {
        let message = ListPage.value(of: "Message", in: response.body) ?? ""
        switch (response.status, code) {
        case (404, "NoSuchBucket"):
            return StorageError(.notFound, key: described, "bucket \(configuration.bucket) does not exist at \(configuration.endpoint.absoluteString); create it first")
        case (404, _):
            return StorageError(.notFound, key: described, "no such object")
        case (403, "RequestTimeTooSkewed"):
            return StorageError(.permissionDenied, key: described, "the server refuses the request time: this machine's clock is off (\(message)); fix the clock (NTP)")
        case (403, "SignatureDoesNotMatch"):
            return StorageError(.permissionDenied, key: described, "wrong secret key for access key \(configuration.accessKey) (the server's signature differs)")
        case (403, "InvalidAccessKeyId"):
            return StorageError(.permissionDenied, key: described, "unknown access key \(configuration.accessKey)")
        case (403, _):
            return StorageError(.permissionDenied, key: described, "access denied (\(code.isEmpty ? "HTTP 403" : code)\(message.isEmpty ? "" : ": " + message))")
        default:
            return StorageError(.io, key: described, "HTTP \(response.status) \(code) \(message)".trimmingCharacters(in: .whitespaces))
        }
    }

    static func xmlEscape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }
}

/// The few XML answers S3 gives that Silo reads: list pages, error documents, upload ids.
struct ListPage {
    var keys: [String] = []
    var truncated = false
    var nextToken: String?

    init(_ body: Data) throws {
        let parser = ElementCollector(body)
        guard parser.parse() else { throw StorageError(.io, key: "", "cannot parse the server's listing") }
        keys = parser.values("Key")
        truncated = parser.values("IsTruncated").first == "true"
        nextToken = parser.values("NextContinuationToken").first
    }

    static func value(of element: String, in body: Data) -> String? {
        guard !body.isEmpty else { return nil }
        let parser = ElementCollector(body)
        guard parser.parse() else { return nil }
        return parser.values(element).first
    }

    static func firstDeleteError(_ body: Data) -> (key: String, message: String)? {
        let parser = ElementCollector(body)
        guard parser.parse(), parser.sawElement("Error") else { return nil }
        return (parser.values("Key").first ?? "", (parser.values("Code").first ?? "") + " " + (parser.values("Message").first ?? ""))
    }
}

/// Collects the text of every element by name (S3's documents are shallow).
private final class ElementCollector: NSObject, XMLParserDelegate {
    private let parser: XMLParser
    private var collected: [String: [String]] = [:]
    private var seen = Set<String>()
    private var text = ""

    init(_ data: Data) {
        parser = XMLParser(data: data)
        super.init()
        parser.delegate = self
    }

    func parse() -> Bool { parser.parse() }
    func values(_ name: String) -> [String] { collected[name] ?? [] }
    func sawElement(_ name: String) -> Bool { seen.contains(name) }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        text = ""
        seen.insert(elementName)
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        collected[elementName, default: []].append(text)
        text = ""
    }
}
