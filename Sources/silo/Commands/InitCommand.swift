import ArgumentParser
import Foundation
import SiloRepository
import SiloStorage

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "init", abstract: "Create a new repository.")

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
            let password = insecureNoEncryption ? nil : try global.password(prompt: "enter password for new repository: ")
            if let local = store as? LocalObjectStore { try local.createRoot() }
            let repository = try Repository.initialize(store: store, password: password, options: options, cacheRoot: global.cacheRoot)
            output.line("created silo repository \(repository.config.id) at \(store.location)")
            if insecureNoEncryption { output.line("warning: the repository is NOT encrypted") }
            output.emit(["message_type": "initialized", "id": repository.config.id, "repository": store.location,
                         "encrypted": !insecureNoEncryption])
            return ExitCodes.success
        }
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
