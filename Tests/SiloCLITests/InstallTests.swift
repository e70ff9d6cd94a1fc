import Foundation
import XCTest

/// `make install` puts the binary, a man page per command and three shells' completions under
/// PREFIX. A real install builds the release binary (minutes), so this checks the pieces it is
/// made of: the Makefile's recipe (`make -n`), and what the binary generates.
final class InstallTests: XCTestCase {
    private var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    func testMakeInstallRecipeInstallsEverythingUnderPrefix() throws {
        let prefix = NSTemporaryDirectory() + "silo-prefix-" + UUID().uuidString
        let make = Process()
        make.executableURL = URL(fileURLWithPath: "/usr/bin/make")
        make.arguments = ["-n", "-C", packageRoot, "install", "PREFIX=\(prefix)"]
        let out = Pipe()
        make.standardOutput = out
        make.standardError = FileHandle.nullDevice
        try make.run()
        let recipe = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        make.waitUntilExit()
        XCTAssertEqual(make.terminationStatus, 0, recipe)
        for expected in ["generate-manual --multi-page", "\(prefix)/bin/silo", "\(prefix)/share/man/man1/",
                         "\(prefix)/share/bash-completion/completions/silo", "\(prefix)/share/zsh/site-functions/_silo",
                         "\(prefix)/share/fish/vendor_completions.d/silo.fish"] {
            XCTAssertTrue(recipe.contains(expected), "\(expected) missing from:\n\(recipe)")
        }
    }

    func testCompletionsAreGeneratedForEveryShell() throws {
        let env = try CLIEnvironment()
        for shell in ["bash", "zsh", "fish"] {
            let script = try env.expect(0, ["--generate-completion-script", shell]).stdout
            XCTAssertGreaterThan(script.utf8.count, 5_000, shell)
            for word in ["snapshots", "passwd", "unlock", "password-command"] {
                XCTAssertTrue(script.contains(word), "\(shell) completion lacks \(word)")
            }
        }
    }

    /// What generate-manual reads: every command, with its discussion (the examples).
    func testTheManualSourceHasEveryCommand() throws {
        let env = try CLIEnvironment()
        let dump = try env.expect(0, ["--experimental-dump-help"]).stdout
        for text in ["\"commandName\" : \"passwd\"", "\"commandName\" : \"unlock\"", "Examples:"] {
            XCTAssertTrue(dump.contains(text) || dump.contains(text.replacingOccurrences(of: " : ", with: ":")), text)
        }
    }
}
