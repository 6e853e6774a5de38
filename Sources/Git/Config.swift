import CLibGit2

extension Repository {
    /// A string value of the repository's configuration (`core.hooksPath`), or nil.
    public func configString(_ key: String) -> String? {
        var config: OpaquePointer?
        guard git_repository_config_snapshot(&config, handle) == 0 else { return nil }
        defer { git_config_free(config) }
        var value: UnsafePointer<CChar>?
        guard git_config_get_string(&value, config, key) == 0, let value else { return nil }
        return String(cString: value)
    }

    /// The staged index as a tree, written like every other object of modcheck's (in memory when
    /// the repository was opened so, never re-writing an object that exists).
    public func indexTree() throws -> ObjectID {
        var index: OpaquePointer?
        try check("read the index", git_repository_index(&index, handle))
        defer { git_index_free(index) }
        var changes: [String: ObjectID?] = [:]
        var modes: [String: UInt32] = [:]
        for i in 0..<git_index_entrycount(index) {
            guard let entry = git_index_get_byindex(index, i)?.pointee, let path = entry.path else {
                continue
            }
            let name = String(cString: path)
            changes[name] = ObjectID(entry.id)
            modes[name] = entry.mode
        }
        return try updatedTree(base: nil, changes: changes, modes: modes)
    }

    /// Commits reachable from `tip` that no remote-tracking branch has (a new branch being pushed).
    public func commitsNotOnRemotes(_ tip: ObjectID) throws -> [ObjectID] {
        var walk: OpaquePointer?
        try check("start a revision walk", git_revwalk_new(&walk, handle))
        defer { git_revwalk_free(walk) }
        git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_REVERSE.rawValue)
        var oid = tip.oid
        try check("walk \(tip)", git_revwalk_push(walk, &oid))
        _ = git_revwalk_hide_glob(walk, "refs/remotes/*")
        var out: [ObjectID] = []
        var next = git_oid()
        while git_revwalk_next(&next, walk) == 0 { out.append(ObjectID(next)) }
        return out
    }
}
