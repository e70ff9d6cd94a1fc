import Foundation
import SiloOps
import XCTest

final class StateDirectoryTests: XCTestCase {
    func testResolutionOrder() {
        let env = ["HOME": "/home/u", "XDG_STATE_HOME": "/x/state", "SILO_STATE_DIR": "/from/env"]
        XCTAssertEqual(StateDirectory.resolve(explicit: "/flag", configured: "/conf", environment: env, isRoot: true).path, "/flag")
        XCTAssertEqual(StateDirectory.resolve(configured: "/conf", environment: env, isRoot: true).path, "/from/env")
        var noVariable = env
        noVariable["SILO_STATE_DIR"] = ""
        XCTAssertEqual(StateDirectory.resolve(configured: "/conf", environment: noVariable, isRoot: true).path, "/conf")
        XCTAssertEqual(StateDirectory.resolve(environment: noVariable, isRoot: true).path, "/var/lib/silo")
        XCTAssertEqual(StateDirectory.resolve(environment: noVariable, isRoot: false).path, "/x/state/silo")
        // XDG: a relative value is invalid and ignored.
        XCTAssertEqual(StateDirectory.resolve(environment: ["HOME": "/home/u", "XDG_STATE_HOME": "rel"], isRoot: false).path,
                       "/home/u/.local/state/silo")
        XCTAssertEqual(StateDirectory.resolve(environment: ["HOME": "/home/u"], isRoot: false).path, "/home/u/.local/state/silo")
    }

    func testCreateMakesMissingDirectoriesMode0700() throws {
        let scratch = ScratchState()
        let old = umask(0o022)
        defer { umask(old) }
        let directory = StateDirectory(path: scratch.root + "/a/b/silo")
        try directory.create()
        for path in [scratch.root + "/a", scratch.root + "/a/b", directory.path] {
            let mode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
            XCTAssertEqual(mode, 0o700, path)
        }
        try directory.create()  // again: nothing to do
        let history = try RunHistory(directory: directory)
        let mode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: history.path)[.posixPermissions] as? Int)
        XCTAssertEqual(mode, 0o600)
        XCTAssertEqual((history.path as NSString).lastPathComponent, "history.sqlite")
    }

    func testAFileInTheWayIsAnError() throws {
        let scratch = ScratchState()
        XCTAssertTrue(FileManager.default.createFile(atPath: scratch.root + "/file", contents: Data()))
        XCTAssertThrowsError(try StateDirectory(path: scratch.root + "/file").create())
        XCTAssertThrowsError(try StateDirectory(path: scratch.root + "/file/sub").create())
    }
}
