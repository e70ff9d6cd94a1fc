import ArgumentParser
import Foundation
import SiloFormat
import SiloRepository

struct KeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key", abstract: "Manage the passwords that open the repository.",
        discussion: Help.examples(["silo key list", "SILO_NEW_PASSWORD=… silo key add", "silo key passwd --new-password-file new.txt", "silo key remove 3f2a9c1d"]),
        subcommands: [List.self, Add.self, Passwd.self, Remove.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List keys.",
                                                        discussion: Help.examples(["silo key list", "silo key list --json"]))
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let output = global.output
            try runCommand(output) {
                let repository = try global.openRepository()
                for key in try repository.listKeys() {
                    let problem = key.file.parameterProblem
                    output.result("\(key.isCurrent ? "*" : " ")\(key.id.shortHex)  \(key.file.username)@\(key.file.host)  \(key.file.created)"
                                  + (problem.map { "  (never tried: it \($0); remove it with `silo key remove \(key.id.shortHex)`)" } ?? ""))
                    output.emit(KeyMessage(id: key.id.hex, current: key.isCurrent, user: key.file.username, host: key.file.host,
                                           created: key.file.created, neverTried: problem))
                }
                return ExitCodes.success
            }
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add", abstract: "Add a password (from SILO_NEW_PASSWORD, --new-password-file or a prompt).",
            discussion: Help.examples(["silo key add --new-password-file /root/silo-second.txt", "SILO_NEW_PASSWORD=… silo key add"]))
        @OptionGroup var global: GlobalOptions
        @OptionGroup var newPassword: NewPassword

        func run() throws {
            let output = global.output
            try runCommand(output) {
                let repository = try global.openRepository()
                let id = try repository.addKey(password: try newPassword.read(), scryptN: NewPassword.scryptN)
                output.line("added key \(id.shortHex)")
                output.emit(KeyAddedMessage(id: id.hex))
                return ExitCodes.success
            }
        }
    }

    struct Passwd: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "passwd", abstract: "Change the password of the key in use (from SILO_NEW_PASSWORD, --new-password-file or a prompt).",
            discussion: Help.examples(["silo key passwd", "silo key passwd --new-password-file /root/silo-new.txt"],
                                      note: "A new key is added with the new password and read back, then the old key file is removed: interrupted, the repository keeps the old key, or both."))
        @OptionGroup var global: GlobalOptions
        @OptionGroup var newPassword: NewPassword

        func run() throws {
            let output = global.output
            try runCommand(output) {
                let repository = try global.openRepository()
                let change = try repository.changePassword(to: try newPassword.read(), scryptN: NewPassword.scryptN)
                output.line("changed the password: added key \(change.added.shortHex), removed key \(change.removed.shortHex)")
                output.emit(KeyChangedMessage(id: change.added.hex, removedId: change.removed.hex))
                return ExitCodes.success
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a key (not the one in use).",
                                                        discussion: Help.examples(["silo key remove 3f2a9c1d"]))
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Key ID or prefix.")
        var id: String

        func run() throws {
            let output = global.output
            try runCommand(output) {
                let repository = try global.openRepository()
                let removed = try repository.removeKey(id)
                output.line("removed key \(removed.shortHex)")
                output.emit(KeyRemovedMessage(id: removed.hex))
                return ExitCodes.success
            }
        }
    }
}

/// The new password of `key add` and `key passwd`: a file, SILO_NEW_PASSWORD, or typed twice.
struct NewPassword: ParsableArguments {
    @Option(name: .long, help: "Read the new password from this file.")
    var newPasswordFile: String?

    func read() throws -> Data {
        if let file = newPasswordFile { return try PasswordPrompt.readFile(file) }
        if let env = ProcessInfo.processInfo.environment["SILO_NEW_PASSWORD"] { return Data(env.utf8) }
        guard let first = PasswordPrompt.read("enter new password: "), let again = PasswordPrompt.read("enter it again: ") else {
            throw RepositoryError(.invalidArgument, "no new password: set SILO_NEW_PASSWORD or use --new-password-file")
        }
        guard first == again else { throw RepositoryError(.invalidArgument, "the passwords do not match") }
        return Data(first.utf8)
    }

    /// Tests make keys cheap to derive.
    static var scryptN: UInt64 {
        ProcessInfo.processInfo.environment["SILO_TEST_SCRYPT_N"].flatMap(UInt64.init) ?? KeyFile.defaultN
    }
}
