import Foundation
import XCTest

/// `silo import` and `silo export` against archives made by the real tools: GNU tar in each of
/// its formats, bsdtar (libarchive), Python's tarfile, gzip, zstd and openssl enc.
final class LegacyArchiveTests: XCTestCase {
    private var env: CLIEnvironment!

    override func setUpWithError() throws {
        env = try CLIEnvironment()
        try env.expect(0, ["init", "-q"])
    }

    // XCTest keeps every test case object until the run ends: drop the scratch directory now.
    override func tearDown() {
        env = nil
        super.tearDown()
    }

    /// Runs a shell command in the test's directory; fails the test unless it exits 0.
    @discardableResult
    private func sh(_ command: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        let result = PostgresTestServer.run("/bin/bash", ["-c", "cd '\(env.root)' && " + command], environment: [:])
        XCTAssertEqual(result.status, 0, "\(command)\n\(result.stdout)\n\(result.stderr)", file: file, line: line)
        return result.stdout
    }

    private func snapshotIDs() throws -> [String] {
        try env.expect(0, ["snapshots", "--json"]).jsonLines.compactMap { $0["id"] as? String }
    }

    /// A tree every format can hold: short ASCII and UTF-8 names, a symlink, a hard link, an empty directory.
    private func makeBasicTree(_ name: String) {
        sh("""
            mkdir -p \(name)/dir/sub \(name)/empty && printf 'hello\\n' > \(name)/a.txt && head -c 300000 /dev/urandom > \(name)/dir/random.bin \
            && printf '' > \(name)/dir/zero && ln -s ../a.txt \(name)/dir/link && ln \(name)/a.txt \(name)/hard.txt && printf 'é' > \(name)/dir/sub/café.txt \
            && chmod 4751 \(name)/dir/random.bin && touch -d '2023-05-06 07:08:09' \(name)/a.txt
            """)
    }

    /// Everything else: long names and link targets, a FIFO, extended attributes, sub-second
    /// times, a uid too large for ustar, a dangling symlink.
    private func makeRichTree(_ name: String) {
        makeBasicTree(name)
        let long = String(repeating: "long-directory-name-", count: 6)
        sh("""
            mkdir -p \(name)/\(long)/\(long) && printf 'deep\\n' > \(name)/\(long)/\(long)/\(String(repeating: "f", count: 120)).txt \
            && ln -s \(String(repeating: "target/", count: 20))x \(name)/longlink && ln -s /nonexistent/path \(name)/dangling && mkfifo \(name)/pipe \
            && python3 -c "import os; os.setxattr('\(name)/a.txt', 'user.color', b'blue\\x00\\xff')" \
            && touch -d '2024-03-04 05:06:07.123456789' \(name)/dir/zero && chown 3000000:3000001 \(name)/dir/zero
            """)
    }

    /// Imports `archive`, then checks with `tar --compare` that both a restore and an
    /// extraction of silo's own export match the original archive.
    private func assertRoundTrip(_ archive: String, compareFlags: String = "", file: StaticString = #filePath, line: UInt = #line) throws {
        let before = try snapshotIDs().count
        let imported = try env.expect(0, ["import", env.path(archive), "--json"], file: file, line: line).jsonLines
        XCTAssertEqual(try snapshotIDs().count, before + 1, file: file, line: line)
        let id = try XCTUnwrap(imported.first { $0["message_type"] as? String == "imported" }?["snapshot_id"] as? String)
        let tag = UUID().uuidString.prefix(6)
        try env.expect(0, ["restore", id, "--target", env.path("restored-\(tag)")], file: file, line: line)
        sh("tar -d \(compareFlags) -f '\(archive)' -C restored-\(tag)", file: file, line: line)
        try env.expect(0, ["export", id, "-o", env.path("export-\(tag).tar")], file: file, line: line)
        sh("mkdir x-\(tag) && tar -x \(compareFlags) -f export-\(tag).tar -C x-\(tag) && tar -d \(compareFlags) -f '\(archive)' -C x-\(tag)", file: file, line: line)
    }

    func testGNUTarFormats() throws {
        makeRichTree("rich")
        makeBasicTree("basic")
        for format in ["gnu", "oldgnu", "pax"] {
            sh("tar --format=\(format) \(format == "pax" ? "--xattrs" : "") -cf rich-\(format).tar rich")
            try assertRoundTrip("rich-\(format).tar", compareFlags: format == "pax" ? "--xattrs" : "")
        }
        for format in ["ustar", "v7"] {
            sh("tar --format=\(format) -cf basic-\(format).tar basic")
            try assertRoundTrip("basic-\(format).tar")
        }
        // Compressed by GNU tar itself.
        sh("tar --format=pax -czf rich.tar.gz rich && tar --format=gnu --zstd -cf rich.tar.zst rich")
        try assertRoundTrip("rich.tar.gz")
        try assertRoundTrip("rich.tar.zst")
    }

    func testBsdtarAndPythonArchives() throws {
        makeRichTree("rich")
        sh("bsdtar -cf bsd.tar rich && bsdtar --format pax -czf bsd-pax.tar.gz rich")
        try assertRoundTrip("bsd.tar")
        try assertRoundTrip("bsd-pax.tar.gz")
        sh("""
            python3 -c "
            import tarfile
            for name, fmt in (('py-pax.tar', tarfile.PAX_FORMAT), ('py-gnu.tar', tarfile.GNU_FORMAT)):
                with tarfile.open(name, 'w', format=fmt) as t:
                    t.add('rich')
            "
            """)
        try assertRoundTrip("py-pax.tar")
        try assertRoundTrip("py-gnu.tar")
    }

    func testWrappersMultiMemberGzipAndOpensslEnc() throws {
        makeBasicTree("basic")
        sh("tar -cf plain.tar basic && head -c 20480 plain.tar | gzip > multi.tar.gz && tail -c +20481 plain.tar | gzip >> multi.tar.gz")
        try assertRoundTrip("multi.tar.gz")
        sh("gzip -c plain.tar > base.tar.gz && printf 'legacy secret\\n' > pw")
        let variants = [("pbkdf2", "-pbkdf2", [String]()), ("sha256", "", []), ("md5", "-md md5", []), ("iter", "-pbkdf2 -iter 50000", ["--legacy-iter", "50000"])]
        for (name, flags, extra) in variants {
            sh("openssl enc -aes-256-cbc -salt \(flags) -in base.tar.gz -out \(name).tar.gz.enc -pass file:pw 2>/dev/null")
            let before = try snapshotIDs().count
            try env.expect(0, ["import", env.path("\(name).tar.gz.enc"), "--legacy-password-file", env.path("pw")] + extra)
            XCTAssertEqual(try snapshotIDs().count, before + 1, name)
        }
        let id = try snapshotIDs().last!
        try env.expect(0, ["restore", id, "--target", env.path("dec")])
        sh("tar -d -f plain.tar -C dec")
        // Wrong password: a clear error, no snapshot.
        let count = try snapshotIDs().count
        sh("openssl enc -aes-256-cbc -salt -pbkdf2 -in base.tar.gz -out again.tar.gz.enc -pass file:pw")
        let wrong = try env.expect(1, ["import", env.path("again.tar.gz.enc")], environment: ["SILO_LEGACY_PASSWORD": "not it"])
        XCTAssertTrue(wrong.stderr.contains("wrong legacy password"), wrong.stderr)
        let missing = try env.expect(1, ["import", env.path("again.tar.gz.enc")])
        XCTAssertTrue(missing.stderr.contains("--legacy-password-file"), missing.stderr)
        XCTAssertEqual(try snapshotIDs().count, count)
    }

    /// Truncation, a bad checksum, garbage after the end, and members escaping the root: a clear
    /// error naming the problem, no snapshot, nothing written outside the repository.
    func testBadArchivesAreRefused() throws {
        makeBasicTree("basic")
        let sentinel = "/tmp/silo-escape-" + UUID().uuidString
        sh("""
            tar -cf good.tar basic && head -c 200000 good.tar > truncated.tar && gzip -c good.tar | head -c 60000 > truncated.tar.gz \
            && cp good.tar badsum.tar && printf 'X' | dd of=badsum.tar bs=1 seek=1030 conv=notrunc 2>/dev/null \
            && (cat good.tar; printf 'trailing garbage') > garbage.tar
            """)
        sh("""
            python3 -c "
            import tarfile, io
            def one(archive, name, kind=tarfile.REGTYPE, link=''):
                with tarfile.open(archive, 'w', format=tarfile.GNU_FORMAT) as t:
                    info = tarfile.TarInfo(name); info.type = kind; info.linkname = link
                    data = b'escaped'; info.size = len(data) if kind == tarfile.REGTYPE else 0
                    t.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
            one('dotdot.tar', '../../../..\(sentinel)')
            one('absolute.tar', '\(sentinel)')
            with tarfile.open('symlink.tar', 'w', format=tarfile.GNU_FORMAT) as t:
                info = tarfile.TarInfo('escape'); info.type = tarfile.SYMTYPE; info.linkname = '/tmp'; t.addfile(info)
                info = tarfile.TarInfo('escape/\(sentinel.split(separator: "/").last!)'); data = b'x'; info.size = 1; t.addfile(info, io.BytesIO(data))
            "
            """)
        let cases: [(String, String)] = [
            ("truncated.tar", "truncated"), ("truncated.tar.gz", "ends early"), ("badsum.tar", "checksum"),
            ("garbage.tar", "garbage after the end"), ("dotdot.tar", "'..'"), ("absolute.tar", "absolute path"),
            ("symlink.tar", "symbolic link escape"),
        ]
        for (archive, expected) in cases {
            let result = try env.expect(1, ["import", env.path(archive)])
            XCTAssertTrue(result.stderr.contains(expected), "\(archive): \(result.stderr)")
        }
        XCTAssertTrue(try snapshotIDs().isEmpty, "no snapshot from a bad archive")
        XCTAssertFalse(FileManager.default.fileExists(atPath: sentinel))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/tmp/" + sentinel.split(separator: "/").last!))
        try env.expect(0, ["check"])
    }

    /// A directory of dated archives: oldest first, dated and tagged, the archive recorded,
    /// repeated runs skip what is in; unchanged content adds almost nothing; --expand-dumps
    /// stores SQL dumps decompressed.
    func testDirectoryImportDedupAndExpandDumps() throws {
        makeBasicTree("site")
        sh("""
            mkdir -p archives && for day in 27 28 29; do \
              seq 1 20000 | sed "s/^/INSERT INTO t VALUES (/; s/$/);/" > site/db.sql && echo "-- day $day" >> site/db.sql && gzip -f site/db.sql; \
              tar -czf archives/o4o_backup_202501${day}_020000.tar.gz site; done
            """)
        try env.expect(0, ["import", env.path("archives"), "--expand-dumps"])
        let snapshots = try env.expect(0, ["snapshots", "--json"]).jsonLines
        XCTAssertEqual(snapshots.compactMap { $0["origin"] as? String },
                       ["o4o_backup_20250127_020000.tar.gz", "o4o_backup_20250128_020000.tar.gz", "o4o_backup_20250129_020000.tar.gz"])
        XCTAssertEqual(snapshots.compactMap { $0["time_ns"] as? Int64 }.sorted(), snapshots.compactMap { $0["time_ns"] as? Int64 })
        XCTAssertTrue(snapshots.allSatisfy { ($0["tags"] as? [String]) == ["imported"] })
        // Decompressed dumps deduplicate: the later imports add a small fraction of the first.
        let first = snapshots[0]["data_added_stored"] as? Int ?? 0
        let later = snapshots[2]["data_added_stored"] as? Int ?? Int.max
        XCTAssertLessThan(later * 5, first, "first \(first), third \(later)")
        let sql = try env.expect(0, ["dump", "latest", "/site/db.sql"]).stdout
        XCTAssertTrue(sql.hasPrefix("INSERT INTO t VALUES (1);") && sql.hasSuffix("-- day 29\n"))
        let again = try env.expect(0, ["import", env.path("archives")])
        XCTAssertTrue(again.stdout.contains("already imported"), again.stdout)
        XCTAssertEqual(try snapshotIDs().count, 3)
    }

    /// An archive counts as imported by its bytes, host and tags, not its name: the same name
    /// from another host, or with new content, is imported; the same bytes under another name are not.
    func testImportIsIdentifiedByContentHostAndTags() throws {
        sh("mkdir -p one two && echo first > one/x && echo other > two/x && tar -cf one.tar -C one x && tar -cf two.tar -C two x")
        sh("mkdir in && cp one.tar in/backup.tar && cp one.tar renamed.tar")
        XCTAssertEqual(sh("stat -c %s one.tar two.tar | uniq | wc -l").trimmingCharacters(in: .whitespacesAndNewlines), "1",
                       "the two archives have one size, so only their digests tell them apart")
        let archive = env.path("in/backup.tar")
        func imported(_ extra: [String], _ path: String? = nil) throws -> Bool {
            let lines = try env.expect(0, ["import", path ?? archive, "--json"] + extra).jsonLines
            return lines.contains { $0["message_type"] as? String == "imported" }
        }
        XCTAssertTrue(try imported(["--host", "web1"]))
        XCTAssertFalse(try imported(["--host", "web1"]), "same bytes, host and tags")
        XCTAssertFalse(try imported(["--host", "web1"], env.path("renamed.tar")), "same bytes under another name")
        XCTAssertTrue(try imported(["--host", "web2"]), "same name and bytes from another host")
        XCTAssertTrue(try imported(["--host", "web1", "--tag", "monthly"]), "other tags")
        sh("cp two.tar in/backup.tar")
        XCTAssertTrue(try imported(["--host", "web1"]), "same name, new content")
        XCTAssertFalse(try imported(["--host", "web1"]))
        let snapshots = try env.expect(0, ["snapshots", "--json"]).jsonLines.filter { $0["message_type"] as? String == "snapshot" }
        XCTAssertEqual(snapshots.count, 4)
        // Both archives' members have one mtime in whole seconds, so the snapshots' order is no
        // guide: count them by the digest they record.
        func digest(_ file: String) -> String { sh("sha256sum \(file) | cut -d' ' -f1").trimmingCharacters(in: .whitespacesAndNewlines) }
        let recorded = snapshots.compactMap { $0["origin_sha256"] as? String }
        XCTAssertEqual(recorded.filter { $0 == digest("one.tar") }.count, 3, "\(recorded)")
        XCTAssertEqual(recorded.filter { $0 == digest("two.tar") }.count, 1, "\(recorded)")
        XCTAssertEqual(snapshots.compactMap { $0["origin_size"] as? Int }, [10240, 10240, 10240, 10240])
    }

    func testExportFormatsThreadsAndSafety() throws {
        makeRichTree("rich")
        try env.expect(0, ["backup", env.path("rich")])
        try env.expect(0, ["export", "latest", "-o", env.path("one.tar.gz")])
        try env.expect(0, ["export", "latest", "-o", env.path("two.tar.gz"), "--gzip-threads", "2"])
        try env.expect(0, ["export", "latest", "-o", env.path("z.tar.zst"), "--gzip-threads", "2"])
        try env.expect(0, ["export", "latest", env.path("rich/dir"), "-o", env.path("part.tar")])
        sh("gzip -t one.tar.gz two.tar.gz && zstd -q -t z.tar.zst")
        let relative = String(env.path("rich").dropFirst())
        for archive in ["one.tar.gz", "two.tar.gz", "z.tar.zst"] {
            let tag = archive.split(separator: ".")[0]
            sh("mkdir out-\(tag) && tar -x --xattrs -f \(archive) -C out-\(tag) && tar -c --xattrs -f orig-\(tag).tar -C / '\(relative)' && tar -d --xattrs -f orig-\(tag).tar -C out-\(tag)")
        }
        XCTAssertEqual(sh("tar -tf part.tar").split(separator: "\n").first.map(String.init), relative + "/dir/")
        // Standard output, and never over an existing file.
        sh("true")
        let refused = try env.expect(1, ["export", "latest", "-o", env.path("one.tar.gz")])
        XCTAssertTrue(refused.stderr.contains("exists"), refused.stderr)
        let piped = PostgresTestServer.run("/bin/bash", ["-c", "'\(CLIEnvironment.binary)' export latest -o - | tar -tzf - | wc -l"],
                                           environment: env.environment)
        XCTAssertEqual(piped.status, 0, piped.stderr)
        XCTAssertGreaterThan(Int(piped.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0, 10)
        // The legacy layout: o4o_backup_<time>/… named after the snapshot's time.
        let legacy = PostgresTestServer.run("/bin/bash", ["-c", "cd '\(env.root)' && '\(CLIEnvironment.binary)' export latest --legacy-layout && ls o4o_backup_*.tar.gz && tar -tzf o4o_backup_*.tar.gz | head -1"],
                                            environment: env.environment)
        XCTAssertEqual(legacy.status, 0, legacy.stderr)
        XCTAssertTrue(legacy.stdout.contains("o4o_backup_") && legacy.stdout.contains(".tar.gz\no4o_backup_"), legacy.stdout)
    }
}
