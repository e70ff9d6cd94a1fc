import ArgumentParser
import Foundation
import SiloConfig
import SiloMonitor
import SiloOps
import SiloRepository
import SiloWeb

/// `silo serve`: the snapshot browser and the read-only WebDAV drive (docs/WEB.md).
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Browse snapshots in a web browser, and mount them as a read-only WebDAV drive.",
        discussion: Help.examples(["silo serve                      # http://127.0.0.1:8080 (ssh -L 8080:127.0.0.1:8080 server)",
                                   "silo serve --listen 0.0.0.0:8443 --auth /etc/silo/web-password --tls-cert cert.pem --tls-key key.pem",
                                   "rclone copy :webdav:/2026-12-07T15-55-00_1a2b3c4d/srv/app/uploads ./uploads --webdav-url http://127.0.0.1:8080/dav"],
                                  note: "Read-only: nothing can be changed through it. Any address but loopback needs --auth; TLS is recommended there. The repository's password stays on the server."))

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: ArgumentHelp("Address and port to listen on (default 127.0.0.1:8080; port 0 picks one).", valueName: "addr:port"))
    var listen = "127.0.0.1:8080"

    @Option(name: .long, help: ArgumentHelp("A file holding the password people log in with (its first line).", valueName: "file"))
    var auth: String?

    @Option(name: .long, help: ArgumentHelp("TLS certificate chain (PEM).", valueName: "file"))
    var tlsCert: String?

    @Option(name: .long, help: ArgumentHelp("TLS private key (PEM).", valueName: "file"))
    var tlsKey: String?

    func validate() throws {
        guard Self.address(listen) != nil else { throw ValidationError("--listen takes HOST:PORT (127.0.0.1:8080, [::1]:8080, 0.0.0.0:8443)") }
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
    }

    static func address(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        let host = String(text[..<colon]).trimmingCharacters(in: ["[", "]"])
        return host.isEmpty ? nil : (host, port)
    }

    func run() throws {
        let output = global.output
        try runCommand(output) {
            let repository = try global.openRepository()
            var options = WebServerOptions()
            (options.host, options.port) = Self.address(listen)!
            options.password = try auth.map(Self.password)
            options.tlsCertificate = tlsCert
            options.tlsKey = tlsKey
            let configurationPath = global.configurationPath
            let environment = global.environment
            let scheme = tlsCert == nil ? "http" : "https"
            let host = options.host.contains(":") ? "[\(options.host)]" : options.host
            options.onListening = { port in
                output.line("serving \(scheme)://\(host):\(port)/ (WebDAV: \(scheme)://\(host):\(port)/dav/); Ctrl-C stops")
                output.emit(ServeListeningMessage(url: "\(scheme)://\(host):\(port)/", port: port))
            }
            options.status = { Self.status(configurationPath: configurationPath, environment: environment, repository: repository) }
            let server = try SnapshotWebServer(repository: repository, options: options)
            let failure = ServeFailure()
            let done = DispatchSemaphore(value: 0)
            Task {
                do { try await server.run() } catch { failure.error = error }
                done.signal()
            }
            done.wait()
            if let error = failure.error { throw error }
            return ExitCodes.success
        }
    }

    static func password(_ path: String) throws -> String {
        var status = stat()
        guard stat(path, &status) == 0 else { throw ValidationError("cannot read the --auth password file \(path): \(String(cString: strerror(errno)))") }
        if status.st_mode & 0o077 != 0 {
            throw ValidationError("the --auth password file \(path) is readable by others (mode \(String(status.st_mode & 0o777, radix: 8))): chmod 600 it")
        }
        guard var text = try? String(contentsOfFile: path, encoding: .utf8) else { throw ValidationError("cannot read the --auth password file \(path)") }
        if let newline = text.firstIndex(where: \.isNewline) { text = String(text[..<newline]) }
        guard !text.isEmpty else { throw ValidationError("the --auth password file \(path) is empty") }
        return text
    }

    /// `/status`: the monitor's checks and the newest runs, when the configuration can be read.
    static func status(configurationPath: String, environment: [String: String], repository: Repository) -> StatusReport {
        guard let configuration = try? ConfigurationLoader.load(path: configurationPath, environment: environment) else {
            return StatusReport(note: "no readable configuration at \(configurationPath): checks and runs need one (--config)")
        }
        let directory = StateDirectory.resolve(configured: configuration.state.directory, environment: environment)
        let key = ConfigurationIdentity.key(for: configuration.file)
        let history = FileManager.default.fileExists(atPath: directory.file(RunHistory.fileName)) ? try? RunHistory(directory: directory) : nil
        var report = StatusReport()
        if let facts = try? MonitorFactsGathering.gather(configuration: configuration, configurationKey: key, repository: repository,
                                                         history: history, now: Date()) {
            report.checks = Monitor.evaluate(facts).checks.map { .init(id: $0.id, status: $0.severity.rawValue, summary: $0.summary) }
        }
        let runs = (try? history?.runs(RunQuery(limit: 20))) ?? []
        report.runs = runs.reversed().map { .init(id: $0.id, command: $0.command.rawValue, status: $0.status.rawValue, started: $0.started, seconds: $0.duration) }
        return report
    }
}

private final class ServeFailure: @unchecked Sendable {
    var error: Error?
}
