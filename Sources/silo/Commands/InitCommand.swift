import ArgumentParser
import Foundation
import SiloRepository
import SiloStorage

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "init", abstract: "Create a new repository.",
        discussion: Help.examples(["silo -r /srv/backup init", "silo -r s3:https://s3.eu-west-1.amazonaws.com/bucket/silo init"]))

    @OptionGroup var global: GlobalOptions

    @Flag(name: .long, help: "Store data unencrypted (chunk IDs are then plain SHA-256). Not recommended.")
    var insecureNoEncryption = false

    @Option(name: .long, help: "zstd compression level for new data (1-19).")
    var compressionLevel = 3

    @Option(name: .long, help: "Target pack size in MiB (packs vary ±25% around it).")
    var packSize = 16

    @Option(name: .long, help: "Cut chunks as this repository does, so that `copy` between the two deduplicates (its password: --from-password-file or SILO_FROM_PASSWORD).")
    var copyChunkerParamsFrom: String?

    @Option(name: .long, help: "Read the password of the --copy-chunker-params-from repository from this file.")
    var fromPasswordFile: String?

    func validate() throws {
        guard (1...19).contains(compressionLevel) else { throw ValidationError("--compression-level must be between 1 and 19") }
        guard (1...512).contains(packSize) else { throw ValidationError("--pack-size must be between 1 and 512 (MiB)") }
    }

    func run() throws {
        let output = global.output
        try runCommand(output) {
            let store = try global.store()
            var options = Repository.InitOptions()
            options.encrypted = !insecureNoEncryption
            options.compressionLevel = compressionLevel
            options.packTargetSize = packSize << 20
            if let n = ProcessInfo.processInfo.environment["SILO_TEST_SCRYPT_N"].flatMap(UInt64.init) { options.scryptN = n }
            if let other = copyChunkerParamsFrom { options.chunkerSeed = try chunkerSeed(of: other) }
            if let root = store.localRoot { try refuseForeignContent(root) }
            let password = insecureNoEncryption ? nil : try newPassword(output)
            try store.createContainer()
            let repository = try Repository.initialize(store: store, password: password, options: options, cacheRoot: global.cacheRoot)
            output.line("created silo repository \(repository.config.id) at \(store.location)")
            if insecureNoEncryption { output.line("warning: the repository is NOT encrypted") }
            output.emit(InitializedMessage(id: repository.config.id, repository: store.location, encrypted: !insecureNoEncryption))
            return ExitCodes.success
        }
    }

    /// A directory with files of its own is not taken over: a typo in `-r` must not scatter a
    /// repository among somebody's documents. (A directory with a config is refused later as
    /// an existing repository.)
    private func refuseForeignContent(_ root: String) throws {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: root), !entries.isEmpty,
              !entries.contains("config") else { return }
        throw RepositoryError(.alreadyExists, "\(root) is not empty and is not a Silo repository; choose an empty or new directory")
    }

    /// On a terminal the password is typed twice and a weak one is warned about; from
    /// SILO_PASSWORD or a file it is taken as given.
    private func newPassword(_ output: Output) throws -> Data {
        let prompt = "enter password for new repository: "
        guard case .prompt = try global.passwordSource, let first = PasswordPrompt.read(prompt) else {
            return try global.password(prompt: prompt)
        }
        guard !first.isEmpty else { throw RepositoryError(.invalidArgument, "an empty password is not allowed") }
        guard PasswordPrompt.read("enter the password again: ") == first else {
            throw RepositoryError(.invalidArgument, "the two passwords differ; nothing was created")
        }
        if let weakness = PasswordStrength.weakness(of: first) {
            output.warning("the password is weak (\(weakness)); anyone who gets a copy of the repository can try passwords offline")
        }
        return Data(first.utf8)
    }

    /// The chunker seed of another repository, read with its own password.
    private func chunkerSeed(of location: String) throws -> Data {
        let other = try global.openOtherRepository(location, passwordFile: fromPasswordFile, variable: "SILO_FROM_PASSWORD", option: "--from-password-file")
        guard let seed = other.chunkerSeed else {
            throw RepositoryError(.integrity, "repository \(location) has no chunker seed")
        }
        return seed
    }
}
