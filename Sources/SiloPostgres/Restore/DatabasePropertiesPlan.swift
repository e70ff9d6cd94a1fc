import Foundation

/// The database-level properties a restore can reproduce on this server: the backed-up ones,
/// less what names a role or tablespace the server lacks, each omission a warning saying what
/// to do. The restore applies `properties` and verifies the result against them, so a
/// property that is silently lost still fails verification.
struct DatabasePropertiesPlan: Equatable {
    var properties: DatabaseProperties
    var warnings: [String] = []

    /// What the target server has, read once before the restore.
    struct Server: Equatable {
        var roles: Set<String>
        var tablespaces: Set<String>
        /// Who owns a database this connection creates without OWNER.
        var currentUser: String
    }

    init(_ backedUp: DatabaseProperties, on server: Server, database: String) {
        properties = backedUp
        let fix = "create it (restore with --globals, or CREATE ROLE) and restore again, or grant by hand"
        if !server.roles.contains(backedUp.owner) {
            warnings.append("role \(backedUp.owner), the owner of \(database), does not exist on this server: the restored database is owned by \(server.currentUser) instead; \(fix)")
            properties.owner = server.currentUser
        }
        let owner = properties.owner
        // The owner's own privileges (and those it granted) follow the owner to its stand-in.
        let rename: (String) -> String = { $0 == backedUp.owner ? owner : $0 }
        properties.acl = backedUp.acl.compactMap { entry in
            var entry = entry
            entry.grantee = entry.grantee.map(rename)
            entry.grantor = rename(entry.grantor)
            if let grantee = entry.grantee, !server.roles.contains(grantee) {
                warnings.append("role \(grantee) does not exist on this server: its \(entry.privilege) privilege on \(database) is not granted; \(fix)")
                return nil
            }
            if !server.roles.contains(entry.grantor) {
                warnings.append("role \(entry.grantor), which granted \(entry.privilege) on \(database) to \(entry.granteeName), does not exist on this server: \(owner) grants it instead")
                entry.grantor = owner
            }
            return entry
        }
        properties.acl = Array(Set(properties.acl)).sorted()
        properties.roleSettings = backedUp.roleSettings.filter { setting in
            guard server.roles.contains(setting.role) else {
                warnings.append("role \(setting.role) does not exist on this server: its setting \(setting.setting) in \(database) is not applied; \(fix)")
                return false
            }
            return true
        }
        if !server.tablespaces.contains(backedUp.tablespace) {
            warnings.append("tablespace \(backedUp.tablespace) of \(database) does not exist on this server: the restored database uses pg_default; create the tablespace first to keep it apart")
            properties.tablespace = "pg_default"
        }
    }

    static func read(_ admin: PostgresConnection) throws -> Server {
        Server(roles: Set(try admin.query("SELECT rolname FROM pg_roles").compactMap { $0[0] }),
               tablespaces: Set(try admin.query("SELECT spcname FROM pg_tablespace").compactMap { $0[0] }),
               currentUser: try admin.scalar("SELECT current_user") ?? "")
    }
}
