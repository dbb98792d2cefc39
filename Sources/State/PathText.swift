/// The directory and name parts of a file path. NSString's `deletingLastPathComponent` traps
/// on a one-character relative path (`--state-dir a`) in this toolchain's Foundation, so paths
/// are split here by hand.
public enum PathText {
    /// Trailing slashes removed (the root stays `/`).
    static func trimmed(_ path: String) -> Substring {
        var text = Substring(path)
        while text.count > 1, text.hasSuffix("/") { text = text.dropLast() }
        return text
    }

    /// The directory holding `path`: `.` when it names none, `/` for a file in the root.
    public static func parent(of path: String) -> String {
        let text = trimmed(path)
        guard let slash = text.lastIndex(of: "/") else { return "." }
        let head = text[..<slash]
        return head.isEmpty ? "/" : String(head)
    }

    /// The last component of `path`.
    public static func name(of path: String) -> String {
        let text = trimmed(path)
        guard let slash = text.lastIndex(of: "/"), text != "/" else { return String(text) }
        return String(text[text.index(after: slash)...])
    }
}
