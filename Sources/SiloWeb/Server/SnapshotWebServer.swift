import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import SiloRepository

/// What `silo serve` is told.
public struct WebServerOptions: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// `--auth FILE`'s password; nil serves without authentication (loopback only).
    public var password: String?
    public var tlsCertificate: String?
    public var tlsKey: String?
    /// `/status`: the monitor's checks and the newest runs, when a configuration is known.
    public var status: @Sendable () -> StatusReport = { StatusReport(note: "no configuration: run silo serve with --config to see checks and runs") }
    /// Called once the socket listens, with the port (0 in `port` picks one).
    public var onListening: @Sendable (Int) -> Void = { _ in }

    public init() {}

    public var isLoopback: Bool { ["127.0.0.1", "::1", "localhost"].contains(host) || host.hasPrefix("127.") }
}

/// The request context: Hummingbird's core, plus the client's address (the login rate limit's key).
struct WebContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let client: String

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        client = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }
}

/// `silo serve`: the read-only pages and the WebDAV drive, on Hummingbird (SwiftNIO). Requests
/// are answered by `WebRoutes`; repository reads run on NIO's thread pool, never on an event loop.
public struct SnapshotWebServer: Sendable {
    let routes: WebRoutes
    let options: WebServerOptions

    public init(repository: Repository, options: WebServerOptions) throws {
        if !options.isLoopback && options.password == nil {
            throw WebError("--listen \(options.host) is not loopback: give --auth PASSWORD_FILE (and --tls-cert/--tls-key), or listen on 127.0.0.1 and use an SSH tunnel")
        }
        if (options.tlsCertificate == nil) != (options.tlsKey == nil) { throw WebError("--tls-cert and --tls-key go together") }
        let authenticator = try options.password.map { try Authenticator(password: $0) }
        routes = WebRoutes(catalog: SnapshotCatalog(repository: repository), authenticator: authenticator,
                           secure: options.tlsCertificate != nil, status: options.status)
        self.options = options
    }

    public func run() async throws {
        signal(SIGPIPE, SIG_IGN)
        let routes = self.routes
        let responder = CallbackResponder<WebContext> { request, context in
            try await routes.respond(request, client: context.client)
        }
        var logger = Logger(label: "silo-serve")
        logger.logLevel = .warning
        let onListening = options.onListening
        let server: HTTPServerBuilder
        if let certificate = options.tlsCertificate, let key = options.tlsKey {
            let chain: [NIOSSLCertificate]
            let privateKey: NIOSSLPrivateKey
            do {
                chain = try NIOSSLCertificate.fromPEMFile(certificate)
                privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
            } catch {
                throw WebError("cannot read --tls-cert \(certificate) or --tls-key \(key): \(error)")
            }
            var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
            tls.minimumTLSVersion = .tlsv12
            server = try .tls(.http1(), tlsConfiguration: tls)
        } else {
            server = .http1()
        }
        let app = Application(responder: responder, server: server,
                              configuration: .init(address: .hostname(options.host, port: options.port), serverName: nil),
                              onServerRunning: { channel in onListening(channel.localAddress?.port ?? 0) }, logger: logger)
        try await app.runService()
    }
}
