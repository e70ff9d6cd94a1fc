import ArgumentParser
import Foundation
import SiloFormat
import SiloRepository

struct KeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "key", abstract: "Manage the passwords that open the repository.",
                                                    subcommands: [List.self, Add.self, Remove.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List keys.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let output = global.output
            try runCommand(output) {
                let repository = try global.openRepository()
                for key in try repository.listKeys() {
                    let problem = key.file.parameterProblem
                    output.result("\(key.isCurrent ? "*" : " ")\(key.id.shortHex)  \(key.file.username)@\(key.file.host)  \(key.file.created)"
                                  + (problem.map { "  (never tried: it \($0); remove it with `silo key remove \(key.id.shortHex)`)" } ?? ""))
                    var object: [String: Any] = ["message_type": "key", "id": key.id.hex, "current": key.isCurrent, "user": key.file.username,
                                                 "host": key.file.host, "created": key.file.created]
                    if let problem { object["never_tried"] = problem }
                    output.emit(object)
                }
                return ExitCodes.success
            }
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a password (from SILO_NEW_PASSWORD, --new-password-file or a prompt).")
        @OptionGroup var global: GlobalOptions
        @Option(name: .long, help: "Read the new password from this file.")
        var newPasswordFile: String?

        func run() throws {
            let output = global.output
            try runCommand(output) {
                let repository = try global.openRepository()
                let password: Data
                if let file = newPasswordFile {
                    password = try PasswordPrompt.readFile(file)
                } else if let env = ProcessInfo.processInfo.environment["SILO_NEW_PASSWORD"] {
                    password = Data(env.utf8)
                } else {
                    guard let first = PasswordPrompt.read("enter new password: "), let again = PasswordPrompt.read("enter it again: ") else {
                        throw RepositoryError(.invalidArgument, "no new password: set SILO_NEW_PASSWORD or use --new-password-file")
                    }
                    guard first == again else { throw RepositoryError(.invalidArgument, "the passwords do not match") }
                    password = Data(first.utf8)
                }
                var n = KeyFile.defaultN
                if let test = ProcessInfo.processInfo.environment["SILO_TEST_SCRYPT_N"].flatMap(UInt64.init) { n = test }
                let id = try repository.addKey(password: password, scryptN: n)
                output.line("added key \(id.shortHex)")
                output.emit(["message_type": "key_added", "id": id.hex])
                return ExitCodes.success
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a key (not the one in use).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Key ID or prefix.")
        var id: String

        func run() throws {
            let output = global.output
            try runCommand(output) {
                let repository = try global.openRepository()
                try repository.removeKey(id)
                output.line("removed key \(id)")
                output.emit(["message_type": "key_removed", "id": id])
                return ExitCodes.success
            }
        }
    }
}
