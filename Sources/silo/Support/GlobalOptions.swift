import ArgumentParser
import Foundation
import SiloConfig
import SiloEngine
import SiloFormat
import SiloRepository
import SiloStorage

/// Options every command takes, restic's conventions so users' habits carry over.
struct GlobalOptions: ParsableArguments {
    @Option(name: [.customShort("r"), .long], help: "Repository location (or SILO_REPOSITORY).")
    var repo: String?

    @Option(name: .long, help: ArgumentHelp("Read the password from this file (or SILO_PASSWORD_FILE).", valueName: "file"))
    var passwordFile: String?

    @Option(name: .long, help: ArgumentHelp("Run this command with /bin/sh -c; the first line it prints is the password (or SILO_PASSWORD_COMMAND).", valueName: "command"))
    var passwordCommand: String?

    @Flag(name: .long, help: "Print one JSON object per line (docs/JSON.md).")
    var json = false

    @Flag(name: [.short, .long], help: "Print only results and errors.")
    var quiet = false

    @Option(name: .long, help: "Directory of the local catalog cache (default $XDG_CACHE_HOME/silo).")
    var cacheDir: String?

    @Option(name: .long, help: ArgumentHelp("Trust https:// servers whose certificate a CA in this PEM file signed, instead of the system's CAs (or AWS_CA_BUNDLE).", valueName: "file"))
    var cacert: String?

    @Option(name: .long, help: ArgumentHelp("The configuration file (or SILO_CONFIG; default /etc/silo/silo.yaml).", valueName: "file"))
    var config: String?

    var output: Output { Output(json: json, quiet: quiet) }

    /// `--config`, else `SILO_CONFIG`, else /etc/silo/silo.yaml.
    var configurationPath: String { ConfigurationLoader.path(explicit: config, environment: environment) }

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// The configuration's repository, when neither -r nor SILO_REPOSITORY names one and there
    /// is a configuration (--config, SILO_CONFIG, or /etc/silo/silo.yaml when it exists): on a
    /// configured server `silo snapshots` and `silo restore` reach the repository `silo run`
    /// writes, with its password, as borgmatic's users expect.
    func configuredRepository() throws -> SiloConfig.RepositorySettings? {
        guard repo == nil, environment["SILO_REPOSITORY"] == nil else { return nil }
        let path = configurationPath
        let named = config != nil || !(environment[ConfigurationLoader.environmentVariable] ?? "").isEmpty
        guard named || FileManager.default.fileExists(atPath: path) else { return nil }
        do throws(ConfigurationError) {
            return try ConfigurationLoader.load(path: path, environment: environment, options: .shapeOnly).repository
        } catch {
            throw UsageError(message: "no repository given (-r/--repo or SILO_REPOSITORY), and the configuration cannot be read: \(error.issues.first?.description ?? path) (see `silo config validate`)")
        }
    }

    func repositoryLocation() throws -> String {
        guard let location = try repo ?? environment["SILO_REPOSITORY"] ?? configuredRepository()?.location else {
            throw RepositoryError(.invalidArgument, "no repository given: use -r/--repo, set SILO_REPOSITORY, or write a configuration (silo config init)")
        }
        // An empty value is a mistake in a script or unit file, not "the current directory".
        guard !location.isEmpty else {
            throw UsageError(message: repo != nil ? "-r/--repo is empty" : "SILO_REPOSITORY is set but empty")
        }
        return location
    }

    func store() throws -> ObjectStore { try StoreFactory.store(for: try repositoryLocation(), caBundle: cacert) }

    var cacheRoot: String {
        if let dir = explicitCacheRoot { return dir }
        if let dir = (try? configuredRepository())??.cacheDirectory { return dir }
        return defaultCacheRoot
    }

    /// `--cache-dir`, else `SILO_CACHE_DIR`.
    var explicitCacheRoot: String? {
        if let cacheDir { return cacheDir }
        if let dir = environment["SILO_CACHE_DIR"], !dir.isEmpty { return dir }
        return nil
    }

    /// Where the cache goes when nothing names it.
    var defaultCacheRoot: String {
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/silo" }
        return (environment["HOME"] ?? NSTemporaryDirectory()) + "/.cache/silo"
    }

    /// Where the password comes from: for the configuration's repository (no -r, no
    /// SILO_REPOSITORY) its `password_file` or `password_command` unless the command line gives
    /// one; otherwise as restic decides: a file (--password-file, else
    /// SILO_PASSWORD_FILE) or a command (--password-command, else SILO_PASSWORD_COMMAND), which
    /// exclude each other; else SILO_PASSWORD; else a prompt on the terminal. Never argv.
    var passwordSource: PasswordSource {
        get throws {
            // The configuration's repository comes with the configuration's password, as
            // `silo run` uses it; only the command line's own options override it.
            if passwordFile == nil, passwordCommand == nil {
                switch try configuredRepository()?.password {
                case .file(let path)?: return .file(path)
                case .command(let command)?: return .command(command)
                case nil: break
                }
            }
            let file = passwordFile ?? environment["SILO_PASSWORD_FILE"].flatMap { $0.isEmpty ? nil : $0 }
            let command = passwordCommand ?? environment["SILO_PASSWORD_COMMAND"].flatMap { $0.isEmpty ? nil : $0 }
            switch (file, command) {
            case (let file?, nil): return .file(file)
            case (nil, let command?): return .command(command)
            case (_?, _?):
                throw UsageError(message: "a password file (--password-file or SILO_PASSWORD_FILE) and a password command (--password-command or SILO_PASSWORD_COMMAND) exclude each other; give one")
            case (nil, nil):
                if let password = environment["SILO_PASSWORD"] { return .environment(password) }
                return .prompt
            }
        }
    }

    func password(prompt: String = "enter password for repository: ") throws -> Data {
        switch try passwordSource {
        case .file(let path): return try PasswordPrompt.readFile(path)
        case .command(let command): return try PasswordCommand.run(command)
        case .environment(let password): return Data(password.utf8)
        case .prompt:
            if let typed = PasswordPrompt.read(prompt) { return Data(typed.utf8) }
            throw RepositoryError(.wrongPassword, "no password given: set SILO_PASSWORD, use --password-file or --password-command, or run on a terminal")
        }
    }

    /// Opens the repository; damaged objects it had to leave out are warned about (with what
    /// to do) unless `reportFindings` is false, for a command that reports them itself.
    func openRepository(reportFindings: Bool = true) throws -> Repository {
        let store = try store()
        let password = try Repository.needsPassword(store: store) ? try password() : nil
        let repository = try Repository.open(store: store, password: password, cacheRoot: cacheRoot)
        if reportFindings {
            for finding in repository.findings { output.warning(finding.advice) }
        }
        return repository
    }

    /// A second repository (`copy`, `init --copy-chunker-params-from`), with its own password
    /// from `passwordFile`, the environment variable `variable`, or a terminal prompt.
    func openOtherRepository(_ location: String, passwordFile: String?, variable: String, option: String) throws -> Repository {
        let store = try StoreFactory.store(for: location, caBundle: cacert)
        var password: Data?
        if try Repository.needsPassword(store: store) {
            if let passwordFile {
                password = try PasswordPrompt.readFile(passwordFile)
            } else if let value = environment[variable] {
                password = Data(value.utf8)
            } else if let typed = PasswordPrompt.read("enter password for repository \(store.location): ") {
                password = Data(typed.utf8)
            } else {
                throw RepositoryError(.wrongPassword, "no password for repository \(store.location): set \(variable) or use \(option)")
            }
        }
        return try Repository.open(store: store, password: password, cacheRoot: cacheRoot)
    }
}

enum PasswordSource {
    case file(String)
    case command(String)
    case environment(String)
    case prompt
}

enum PasswordPrompt {
    /// A password file's content without its final newline.
    static func readFile(_ path: String) throws -> Data {
        // Read to the end rather than by the file's size: a pipe (`<(pass show silo)`) has none.
        // The reason named is the call's own errno (a directory is EISDIR, not EACCES).
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw unreadable(path, errno) }
        defer { close(fd) }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = Glibc.read(fd, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw unreadable(path, errno) }
            if n == 0 { break }
            data.append(contentsOf: buffer[0..<n])
        }
        // One final line ending, LF or CRLF (a file written on Windows or by some editors).
        if data.last == UInt8(ascii: "\n") { data.removeLast() }
        if data.last == UInt8(ascii: "\r") { data.removeLast() }
        // An empty file is a mistake (a failed `pass show > file`), not the empty password.
        guard !data.isEmpty else { throw RepositoryError(.wrongPassword, "password file \(path) is empty") }
        return data
    }

    private static func unreadable(_ path: String, _ code: Int32) -> RepositoryError {
        let reason = String(cString: strerror(code))
        return RepositoryError(.wrongPassword, "cannot read password file \(path): \(reason.prefix(1).lowercased() + reason.dropFirst())")
    }

    /// Reads a password from the controlling terminal with echo off.
    static func read(_ prompt: String) -> String? {
        let fd = open("/dev/tty", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        _ = prompt.withCString { write(fd, $0, strlen($0)) }
        var saved = termios()
        let haveTerminal = tcgetattr(fd, &saved) == 0
        // Echo stays off only while the line is read; a SIGINT or SIGTERM meanwhile puts it back.
        return Interrupts.whileTerminalChanged(fd: fd, saved: saved) {
            if haveTerminal {
                var silent = saved
                silent.c_lflag &= ~tcflag_t(ECHO)
                tcsetattr(fd, TCSAFLUSH, &silent)
            }
            defer {
                if haveTerminal { tcsetattr(fd, TCSAFLUSH, &saved) }
                _ = write(fd, "\n", 1)
            }
            var bytes: [UInt8] = []
            var byte: UInt8 = 0
            while Glibc.read(fd, &byte, 1) == 1, byte != UInt8(ascii: "\n") { bytes.append(byte) }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}

/// Options to narrow which snapshots a command considers.
struct SnapshotFilterOptions: ParsableArguments {
    @Option(name: .long, help: "Only snapshots of this host.")
    var host: String?
    @Option(name: .long, help: "Only snapshots that include this source path.")
    var path: String?
    @Option(name: .long, help: "Only snapshots with this tag.")
    var tag: String?

    var selector: SnapshotSelector { SnapshotSelector(host: host, path: path, tag: tag) }
}
