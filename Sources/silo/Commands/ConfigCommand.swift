import ArgumentParser
import Foundation
import SiloConfig

/// `silo config validate|show|init|recover`: the configuration file (docs/CONFIG.md).
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Check, show and write the configuration file (docs/CONFIG.md).",
        discussion: Help.examples(["silo config init --platform /home/ubuntu/o4o-platform", "silo config validate", "silo --config ./silo.yaml config show"],
                                  note: "The file is --config FILE, else SILO_CONFIG, else \(ConfigurationLoader.defaultPath)."),
        subcommands: [Validate.self, Show.self, Init.self, Recover.self])

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "validate", abstract: "Check the configuration: every error as FILE:LINE:COLUMN: KEY.PATH: message, exit 64 on any.",
            discussion: Help.examples(["silo config validate", "silo --config /etc/silo/silo.yaml config validate --json"],
                                      note: "Besides the shape (keys, types, cadences, ${VAR} references), the files it names must exist, password files must be 0600, and so must the configuration when it holds a secret written out."))
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let output = global.output
            let path = global.configurationPath
            try runCommand(output) {
                guard let configuration = ConfigCommand.load(global, output: output) else { return ExitCodes.usage }
                output.line("configuration OK: \(path) (\(configuration.sources.count) sources, \(configuration.copies.count) copies)")
                output.emit(ConfigSummaryMessage(file: path, valid: true, errors: 0,
                                                 sources: configuration.sources.map(\.name), copies: configuration.copies.map(\.name)))
                return ExitCodes.success
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Print the effective configuration (defaults filled in, ${VAR} resolved) with secrets masked.",
            discussion: Help.examples(["silo config show", "silo config show --json"],
                                      note: "Secrets print as ***: values of keys named *password*, *secret*, *token* or *webhook*, passwords inside URLs, webhook URLs."))
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let output = global.output
            try runCommand(output) {
                guard let configuration = ConfigCommand.load(global, output: output) else { return ExitCodes.usage }
                if !output.json { Output.raw(configuration.yaml(masked: true), STDOUT_FILENO) }
                output.emit(ConfigurationMessage(file: configuration.file, configuration: JSONValue(configuration.effectiveValue.maskingSecrets())))
                return ExitCodes.success
            }
        }
    }

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init", abstract: "Write a commented configuration for a platform shaped like the seed's (mode 0600).",
            discussion: Help.examples(["silo config init --platform /home/ubuntu/o4o-platform", "silo config init --from-env --output /etc/silo/silo.yaml",
                                       "silo config init --platform . --output ./silo.yaml --force"],
                                      note: "Sources: the .env files, uploads, the built application, logs and the PostgreSQL database. --from-env refers to the seed's BACKUP_DIR, RETENTION_DAYS, DB_PASSWORD, ALERT_EMAIL and SLACK_WEBHOOK as ${VAR}. A missing password file (--password-file, else repository.password beside the configuration) is created with a random password."))
        @OptionGroup var global: GlobalOptions

        @Flag(name: .long, help: "Refer to the seed's environment variables (BACKUP_DIR, RETENTION_DAYS, DB_PASSWORD, ALERT_EMAIL, SLACK_WEBHOOK) as ${VAR}.")
        var fromEnv = false

        @Option(name: .long, help: ArgumentHelp("Make sources of what exists under this directory (.env files, uploads, dist/build, logs).", valueName: "dir"))
        var platform: String?

        @Option(name: .long, help: ArgumentHelp("Where to write it (default: --config, SILO_CONFIG or /etc/silo/silo.yaml).", valueName: "file"))
        var output: String?

        @Flag(name: .long, help: "Replace an existing file.")
        var force = false

        func run() throws {
            let printer = global.output
            try runCommand(printer) {
                let target = output ?? global.configurationPath
                var discovered: DiscoveredPlatform?
                if let platform {
                    var isDirectory: ObjCBool = false
                    guard FileManager.default.fileExists(atPath: platform, isDirectory: &isDirectory), isDirectory.boolValue else {
                        throw UsageError(message: "--platform \(platform): no such directory")
                    }
                    discovered = DiscoveredPlatform.discover(URL(fileURLWithPath: platform).standardizedFileURL.path)
                }
                if !force && FileManager.default.fileExists(atPath: target) {
                    throw SiloError(.fatal, "\(target) already exists: not overwritten (use --force to replace it, or --output FILE)")
                }
                let directory = (target as NSString).deletingLastPathComponent
                if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
                    do {
                        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                    } catch {
                        // Foundation's message is a sentence about "the operation"; the call's errno says what went wrong.
                        let reason = String(cString: strerror(errno))
                        throw SiloError(.fatal, "cannot create \(directory) for the configuration: \(reason.prefix(1).lowercased() + reason.dropFirst()) (choose another place with --output FILE)")
                    }
                }
                let passwordFile = global.passwordFile ?? ((directory.isEmpty ? "." : directory) + "/repository.password")
                let absolutePasswordFile = URL(fileURLWithPath: passwordFile).standardizedFileURL.path
                let template = ConfigurationTemplate(platform: discovered, fromEnvironment: fromEnv, environment: global.environment,
                                                     passwordFile: absolutePasswordFile)
                var createdPassword = false
                if !FileManager.default.fileExists(atPath: absolutePasswordFile) {
                    try ConfigCommand.writePrivately(ConfigCommand.randomPassword() + "\n", to: absolutePasswordFile, replace: false)
                    createdPassword = true
                }
                try ConfigCommand.writePrivately(template.render(), to: target, replace: force)
                printer.line("wrote \(target)")
                if createdPassword {
                    printer.line("wrote a new random repository password to \(absolutePasswordFile): keep a copy off this machine, without it no backup can be read")
                }
                printer.line("next: silo --config \(target) config validate")
                printer.emit(ConfigWrittenMessage(file: target, passwordFile: absolutePasswordFile, passwordFileCreated: createdPassword))
                return ExitCodes.success
            }
        }
    }

    /// The configuration `global` names, or nil once its errors are reported (the caller exits 64).
    static func load(_ global: GlobalOptions, output: Output) -> Configuration? {
        do throws(ConfigurationError) {
            return try ConfigurationLoader.load(path: global.configurationPath, environment: global.environment)
        } catch {
            report(error, output: output)
            return nil
        }
    }

    /// The configuration `global` names, or its errors reported (as `config validate` does) and exit 64.
    static func loadOrExit(_ global: GlobalOptions) throws -> Configuration {
        guard let configuration = load(global, output: global.output) else { throw ExitCode(ExitCodes.usage) }
        return configuration
    }

    /// Each issue on its own line, as compilers print them, so that editors jump to it.
    static func report(_ error: ConfigurationError, output: Output) {
        if output.json {
            for issue in error.issues {
                output.emit(ConfigErrorMessage(file: issue.file, line: issue.position?.line, column: issue.position?.column,
                                               keyPath: issue.keyPath.description, message: issue.message))
            }
            output.emit(ConfigSummaryMessage(file: error.issues.first?.file ?? "", valid: false, errors: error.issues.count, sources: nil, copies: nil))
            output.error("the configuration has \(error.issues.count) error(s)", exitCode: ExitCodes.usage)
        } else {
            Output.raw(error.issues.map { $0.description + "\n" }.joined(), STDERR_FILENO)
        }
    }

    /// 32 random bytes, base64: a password no one has to type.
    static func randomPassword() -> String {
        var generator = SystemRandomNumberGenerator()
        return Data((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }).base64EncodedString()
    }

    /// Written to a temporary file created 0600, synced, then renamed into place: never a
    /// half-written configuration, never one readable by others even for a moment.
    static func writePrivately(_ text: String, to path: String, replace: Bool) throws {
        try writePrivately(data: Data(text.utf8), to: path, replace: replace)
    }

    static func writePrivately(data: Data, to path: String, replace: Bool) throws {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SiloError(.fatal, "cannot write \(path): \(String(cString: strerror(errno)))") }
        var ok = true
        data.withUnsafeBytes { buffer in
            var done = 0
            while done < buffer.count {
                let n = write(fd, buffer.baseAddress! + done, buffer.count - done)
                if n < 0 { if errno == EINTR { continue }; ok = false; break }
                done += n
            }
        }
        if fsync(fd) != 0 { ok = false }
        close(fd)
        // link(2) refuses an existing name: no race with a file created meanwhile.
        let placed = ok && (replace ? rename(temporary, path) == 0 : link(temporary, path) == 0)
        let failure = errno
        unlink(temporary)
        guard placed else {
            throw SiloError(.fatal, failure == EEXIST ? "\(path) already exists: not overwritten (use --force to replace it)"
                                                      : "cannot write \(path): \(String(cString: strerror(failure)))")
        }
    }
}
