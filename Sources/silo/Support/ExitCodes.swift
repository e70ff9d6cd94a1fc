import ArgumentParser
import Foundation
import SiloPostgres
import SiloRepository

/// Documented exit codes (docs/CLI.md). Scripts and monitoring rely on these; never renumber.
enum ExitCodes {
    static let success: Int32 = 0
    static let fatal: Int32 = 1
    static let partial: Int32 = 3
    static let noRepository: Int32 = 10
    /// A lock cannot be taken: another prune is running (restic's code for the same).
    static let locked: Int32 = 11
    static let wrongPassword: Int32 = 12
    static let integrity: Int32 = 13
    static let unsupportedVersion: Int32 = 14
    static let storageNotWritable: Int32 = 15
    /// What ArgumentParser gives a usage error (EX_USAGE), and a refusal of what the user asked.
    static let usage: Int32 = 64

    static func code(for error: Error) -> Int32 {
        if error is UsageError { return usage }
        if let error = error as? PostgresError {
            return error.code == .verification ? integrity : fatal
        }
        guard let error = error as? RepositoryError else { return fatal }
        switch error.code {
        case .repositoryNotFound, .notARepository: return noRepository
        case .wrongPassword: return wrongPassword
        case .integrity: return integrity
        case .unsupportedVersion: return unsupportedVersion
        case .readOnly, .noSpace: return storageNotWritable
        case .locked: return locked
        case .interrupted: return 130
        default: return fatal
        }
    }
}

/// A mistake in how silo was called that ArgumentParser cannot see (an empty variable): one
/// line and exit 64, like its own usage errors.
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
        let wrapped = RepositoryError.wrap(error, context: "error")
        output.error("\(wrapped)")
        throw ExitCode(ExitCodes.code(for: wrapped))
    }
    Interrupts.yieldIfInterrupted()
    if code != 0 { throw ExitCode(code) }
}
