import ArgumentParser
import Foundation
import SiloConfig
import SiloLegacy
import SiloOps
import SiloPostgres
import SiloRepository
import SiloS3
import SiloStorage

/// What a user or a script sees of a failure: one line and a documented exit code. Every error
/// any layer throws is classified here, once (`init(classifying:)`), and docs/CLI.md's table of
/// exit codes is tested against `Code` (CommandLineHabitsTests), both ways.
struct SiloError: Error, CustomStringConvertible {
    /// Documented exit codes (docs/CLI.md). Scripts and monitoring rely on these; never renumber.
    enum Code: Int32, CaseIterable {
        case success = 0
        case fatal = 1
        case partial = 3
        case noRepository = 10
        /// A lock cannot be taken: another prune, or another `silo run` of the same configuration,
        /// is running (restic's code for the same).
        case locked = 11
        case wrongPassword = 12
        case integrity = 13
        case unsupportedVersion = 14
        case storageNotWritable = 15
        /// What ArgumentParser gives a usage error (EX_USAGE), and a refusal of what the user asked.
        case usage = 64
        case interruptedBySIGINT = 130
        case interruptedBySIGTERM = 143

        /// The one-line meaning `silo --help` lists (the long form is CLI.md's table).
        var meaning: String {
            switch self {
            case .success: return "ok"
            case .fatal: return "fatal"
            case .partial: return "partial"
            case .noRepository: return "no repository"
            case .locked: return "locked (another prune or run)"
            case .wrongPassword: return "wrong or missing password"
            case .integrity: return "integrity failure"
            case .unsupportedVersion: return "newer format"
            case .storageNotWritable: return "storage not writable"
            case .usage: return "usage"
            case .interruptedBySIGINT: return "SIGINT"
            case .interruptedBySIGTERM: return "SIGTERM"
            }
        }
    }

    let code: Code
    let message: String
    var description: String { message }

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The code and message of any error silo's layers throw.
    init(classifying error: Error) {
        switch RepositoryError.wrap(error, context: "error") {
        case let error as SiloError: self = error
        case let error as UsageError: self.init(.usage, error.message)
        // A configuration that cannot be used is a usage error, as borgmatic's `config validate` says.
        case let error as ConfigurationError: self.init(.usage, error.description)
        case let error as RepositoryError: self.init(Self.code(for: error.code), error.message)
        case let error as PostgresError: self.init(error.code == .verification ? .integrity : .fatal, error.message)
        case let error as LegacyArchiveError: self.init(Self.code(for: error.code), error.message)
        // A malformed S3 URL, like every other bad repository location (invalidArgument).
        case let error as S3Error: self.init(.fatal, error.message)
        case let error as ValidationError: self.init(.usage, error.message)
        case let error as RunLockHeld: self.init(.locked, error.description)
        case let error as OpsError: self.init(error.code == .invalidArgument ? .usage : .fatal, error.message)
        case let error: self.init(.fatal, "\(error)")
        }
    }

    private static func code(for code: RepositoryError.Code) -> Code {
        switch code {
        case .repositoryNotFound, .notARepository: return .noRepository
        case .wrongPassword: return .wrongPassword
        case .integrity: return .integrity
        case .unsupportedVersion: return .unsupportedVersion
        case .readOnly, .noSpace: return .storageNotWritable
        case .locked: return .locked
        case .interrupted: return .interruptedBySIGINT
        case .alreadyExists, .catalog, .catalogDamaged, .invalidArgument, .notFound, .storage, .leaseLost: return .fatal
        }
    }

    /// Every legacy archive failure is fatal (1): 12 is kept for the repository's own password,
    /// so that a script can tell "the repository refused me" from "that archive is bad".
    private static func code(for code: LegacyArchiveError.Code) -> Code {
        switch code {
        case .wrongPassword, .invalidArgument, .unreadable, .truncated, .corrupt, .unsafeMember, .unsupported: return .fatal
        }
    }
}

/// The exit codes by name, for command bodies that return one (`return ExitCodes.partial`).
enum ExitCodes {
    static let success = SiloError.Code.success.rawValue
    static let fatal = SiloError.Code.fatal.rawValue
    static let partial = SiloError.Code.partial.rawValue
    static let noRepository = SiloError.Code.noRepository.rawValue
    static let locked = SiloError.Code.locked.rawValue
    static let wrongPassword = SiloError.Code.wrongPassword.rawValue
    static let integrity = SiloError.Code.integrity.rawValue
    static let unsupportedVersion = SiloError.Code.unsupportedVersion.rawValue
    static let storageNotWritable = SiloError.Code.storageNotWritable.rawValue
    static let usage = SiloError.Code.usage.rawValue

    static func code(for error: Error) -> Int32 { SiloError(classifying: error).code.rawValue }
}

/// A mistake in how silo was called that ArgumentParser cannot see (an empty variable): one
/// line and exit 64, like its own usage errors (`SiloError` classifies it as `.usage`).
struct UsageError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Runs a command body, turning any error into one line on stderr and its exit code.
func runCommand(_ output: Output, _ body: () throws -> Int32) throws {
    let code: Int32
    do {
        code = try body()
    } catch let exit as ExitCode {
        Interrupts.yieldIfInterrupted()
        throw exit
    } catch {
        Interrupts.yieldIfInterrupted()
        let failure = SiloError(classifying: error)
        output.error(failure.message, exitCode: failure.code.rawValue)
        throw ExitCode(failure.code.rawValue)
    }
    Interrupts.yieldIfInterrupted()
    if code != 0 { throw ExitCode(code) }
}
