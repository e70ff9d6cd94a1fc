import Foundation

/// Where an S3 repository is and how to reach it: from a URL
/// `s3:http(s)://HOST[:PORT]/BUCKET[/PREFIX]` and AWS's usual environment and files.
public struct S3Configuration: Sendable {
    public var endpoint: URL
    public var bucket: String
    /// Key prefix inside the bucket, without leading or trailing `/` (may be empty).
    public var prefix: String
    public var region: String
    public var accessKey: String
    public var secretKey: String
    public var sessionToken: String?
    /// `bucket.host` instead of `host/bucket` (AWS's default; many servers want path style).
    public var virtualHost = false
    /// Objects above this size are uploaded in parts.
    public var multipartThreshold = 64 << 20
    public var partSize = 16 << 20
    /// Attempts per request on 5xx, 429/503 SlowDown, timeouts and lost connections.
    public var maxAttempts = 8
    public var baseDelay = 0.2
    public var timeout: TimeInterval = 60
    /// The PEM file of the CAs trusted for `https://` in place of the system's store
    /// (`AWS_CA_BUNDLE`; the CLI's `--cacert` overrides it).
    public var caBundle: String?
    /// The proxy for `https://` (`https_proxy`/`HTTPS_PROXY`) and the hosts it is not used for
    /// (`no_proxy`/`NO_PROXY`).
    public var httpsProxy: String?
    public var noProxy: String?

    /// Parses the repository URL; credentials from `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`
    /// (`AWS_SESSION_TOKEN`), else the shared credentials file's `AWS_PROFILE` (default
    /// `default`) section; region from `AWS_REGION`/`AWS_DEFAULT_REGION`, else `us-east-1`;
    /// `SILO_S3_VIRTUAL_HOST=1` selects virtual-host addressing; for `https://`, `AWS_CA_BUNDLE`,
    /// `https_proxy` and `no_proxy`.
    public init(url: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard url.hasPrefix("s3:") else { throw S3Error(.invalidArgument, "not an S3 repository URL (expected s3:http://host:port/bucket/prefix)") }
        let rest = String(url.dropFirst(3))
        // First: the path is read as written, and a password in the URL is refused unrepeated.
        (bucket, prefix) = try S3URLPath.split(rest, url: url)
        guard let parsed = URL(string: rest), let scheme = parsed.scheme, ["http", "https"].contains(scheme), let host = parsed.host, !host.isEmpty else {
            throw S3Error(.invalidArgument, "cannot read S3 URL \(url): expected s3:http://host:port/bucket/prefix or s3:https://…")
        }
        var components = URLComponents()
        components.scheme = scheme
        components.host = host
        components.port = parsed.port
        endpoint = components.url!
        region = environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? "us-east-1"
        virtualHost = environment["SILO_S3_VIRTUAL_HOST"] == "1"
        let nonEmpty = { (names: [String]) in names.lazy.compactMap { environment[$0] }.first { !$0.isEmpty } }
        caBundle = nonEmpty(["AWS_CA_BUNDLE"])
        httpsProxy = nonEmpty(["https_proxy", "HTTPS_PROXY"])
        noProxy = nonEmpty(["no_proxy", "NO_PROXY"])
        if let httpsProxy {
            do { _ = try HTTPSProxy(url: httpsProxy, noProxy: noProxy) } catch let error as HTTPClient.NotTransientError {
                throw S3Error(.invalidArgument, error.message)
            }
        }
        if let key = environment["AWS_ACCESS_KEY_ID"], let secret = environment["AWS_SECRET_ACCESS_KEY"], !key.isEmpty {
            accessKey = key
            secretKey = secret
            sessionToken = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        } else {
            let profile = environment["AWS_PROFILE"] ?? "default"
            let file = environment["AWS_SHARED_CREDENTIALS_FILE"] ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.aws/credentials")
            guard let section = Self.profile(profile, in: file) else {
                throw S3Error(.invalidArgument, "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add a [\(profile)] section to \(file)")
            }
            guard let key = section["aws_access_key_id"], let secret = section["aws_secret_access_key"] else {
                throw S3Error(.invalidArgument, "the [\(profile)] section of \(file) lacks aws_access_key_id or aws_secret_access_key")
            }
            accessKey = key
            secretKey = secret
            sessionToken = section["aws_session_token"]
            if environment["AWS_REGION"] == nil && environment["AWS_DEFAULT_REGION"] == nil, let region = section["region"] { self.region = region }
        }
    }

    /// One `[name]` section of an INI-style credentials file.
    static func profile(_ name: String, in path: String) -> [String: String]? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        var current: String?
        var values: [String: String] = [:]
        var found = false
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                current = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                if current == name { found = true }
                continue
            }
            guard current == name, let equals = line.firstIndex(of: "=") else { continue }
            values[line[..<equals].trimmingCharacters(in: .whitespaces)] = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        }
        return found ? values : nil
    }

    /// For messages: never the secret.
    public var description: String { "s3:\(endpoint.absoluteString)/\(bucket)\(prefix.isEmpty ? "" : "/" + prefix)" }
}

public struct S3Error: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable { case invalidArgument }
    public let code: Code
    public let message: String
    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { message }
}
