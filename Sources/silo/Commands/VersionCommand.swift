import ArgumentParser
import Foundation
import SiloEngine

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version", abstract: "Print silo's version.",
        discussion: Help.examples(["silo version", "silo version --json"]))

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let output = global.output
        try runCommand(output) {
            // A result, not chatter: printed under --quiet too.
            output.result(SiloVersion.line)
            output.emit(VersionMessage(version: SiloVersion.current))
            return ExitCodes.success
        }
    }
}
