import ArgumentParser
import Foundation
import SiloEngine
import SiloRepository

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "Verify the repository's structure and, optionally, its data.",
        discussion: Help.examples(["silo check", "silo check --read-data-subset 10%"]))

    @OptionGroup var global: GlobalOptions

    @Flag(name: .long, help: "Read, decrypt and re-hash every chunk.")
    var readData = false

    @Option(name: .long, help: "Read this share of the packs: a percentage such as 10% (chosen at random), or group n/t of t fixed groups (e.g. 3/30; reading 1/30 to 30/30 in turn reads every pack once).")
    var readDataSubset: String?

    func validate() throws {
        if let subset = readDataSubset, Self.percent(subset) == nil, ReadDataGroup(parsing: subset) == nil {
            throw ValidationError("--read-data-subset takes a percentage such as 10% or a group n/t such as 3/30")
        }
    }

    static func percent(_ text: String) -> Double? {
        let number = text.hasSuffix("%") ? String(text.dropLast()) : text
        guard let value = Double(number), value > 0, value <= 100 else { return nil }
        return value
    }

    func run() throws {
        let output = global.output
        try runCommand(output) {
            var options = CheckOptions()
            options.readData = readData
            if let subset = readDataSubset, let group = ReadDataGroup(parsing: subset) {
                options.readDataGroup = group
            } else {
                options.readDataPercent = readDataSubset.flatMap(Self.percent)
            }
            // Check names every damaged object itself, as errors, not as open's warnings.
            let repository = try global.openRepository(reportFindings: false)
            let started = Date()
            let report = try Checker(repository: repository, options: options) { message in
                if message.hasPrefix("error: ") { output.error(String(message.dropFirst(7))) } else { output.line(message) }
            }.run()
            let seconds = Date().timeIntervalSince(started)
            output.line("checked \(report.snapshots) snapshots, \(report.trees) trees, \(report.packs) packs" +
                        (report.packsRead > 0 ? "; read \(report.packsRead) packs, \(report.chunksRead) chunks, \(Format.bytes(report.bytesRead))" : "") +
                        " in \(String(format: "%.2f", seconds)) s")
            output.emit(CheckSummaryMessage(report))
            if report.isClean {
                output.line("no errors were found")
                return ExitCodes.success
            }
            output.error("\(report.errors.count) error(s) found")
            return ExitCodes.integrity
        }
    }
}
