import Foundation
import ZIPFoundation

/// A content package as uploaded: a ZIP archive whose every entry has been checked before anything is written —
/// no entry may leave its folder (`../`, absolute paths, symbolic links), and the archive may not unpack to more
/// entries, bytes or a higher compression ratio than the limits allow. What passes is read or unpacked with each
/// entry held to its declared size and checksum, so an archive that lies about itself stops at the first lie.
/// Unchecked Sendable: after its checks it is only read, by one task at a time (an import hands it on, never shares it).
public final class PackageArchive: @unchecked Sendable {
    public struct Limits: Sendable {
        public var entries: Int
        public var unpackedBytes: Int64
        /// Unpacked size over packed size, for the whole archive.
        public var ratio: Int64

        public init(entries: Int = 10_000, unpackedBytes: Int64 = 1 << 30, ratio: Int64 = 100) {
            self.entries = entries
            self.unpackedBytes = unpackedBytes
            self.ratio = ratio
        }

        public static let standard = Limits()
    }

    /// Why an archive was refused, in words for the person who sent it.
    public struct Refusal: Error, Equatable, Sendable, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// The files of the archive (folders are implied by their paths), each by its normalised path.
    public private(set) var files: [String: Entry] = [:]
    public let unpackedBytes: Int64
    private let archive: Archive
    private let limits: Limits

    /// Opens and checks `data`. Throws `Refusal` for anything that is not a safe ZIP archive within `limits`.
    public init(data: Data, limits: Limits = .standard) throws(Refusal) {
        guard data.starts(with: [0x50, 0x4B, 0x03, 0x04]) || data.starts(with: [0x50, 0x4B, 0x05, 0x06]),
              let archive = try? Archive(data: data, accessMode: .read, pathEncoding: nil)
        else { throw Refusal("is not a ZIP archive") }
        self.archive = archive
        self.limits = limits
        var count = 0
        var unpacked: Int64 = 0
        var packed: Int64 = 0
        for entry in archive {
            count += 1
            if count > limits.entries { throw Refusal("holds more than \(limits.entries) entries") }
            let raw = entry.path
            guard let path = Self.normalised(raw) else {
                throw Refusal("its entry \(Self.quoted(raw)) would be written outside the package's folder")
            }
            switch entry.type {
            case .symlink: throw Refusal("its entry \(Self.quoted(raw)) is a symbolic link; a package may hold only files and folders")
            case .directory: continue
            case .file: break
            }
            if files[path] != nil { throw Refusal("holds \(Self.quoted(path)) twice") }
            unpacked += Int64(clamping: entry.uncompressedSize)
            packed += Int64(clamping: entry.compressedSize)
            if unpacked > limits.unpackedBytes { throw Refusal("would unpack to more than \(Self.size(limits.unpackedBytes))") }
            files[path] = entry
        }
        if count == 0 { throw Refusal("is an empty ZIP archive") }
        if unpacked > limits.ratio * max(packed, 1) && unpacked > 1 << 20 {
            throw Refusal("unpacks to more than \(limits.ratio) times its packed size, as a ZIP bomb does")
        }
        unpackedBytes = unpacked
    }

    /// The path an entry would be written at, relative to the package's folder, or nil when it would leave it
    /// (a `..` step, an absolute path, a drive letter, a NUL) or names nothing.
    public static func normalised(_ path: String) -> String? {
        if path.contains("\0") || path.hasPrefix("/") || path.hasPrefix("\\") { return nil }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).flatMap { $0.split(separator: "\\", omittingEmptySubsequences: false) }
        if let first = parts.first, first.count == 2, first.last == ":" { return nil }
        var kept: [Substring] = []
        for part in parts where !part.isEmpty && part != "." {
            if part == ".." { return nil }
            kept.append(part)
        }
        return kept.isEmpty ? nil : kept.joined(separator: "/")
    }

    public func contains(_ path: String) -> Bool { files[path] != nil }

    /// The bytes of the file at `path`, held to its declared size and checksum.
    public func read(_ path: String) throws(Refusal) -> Data {
        guard let entry = files[path] else { throw Refusal("holds no \(Self.quoted(path))") }
        var data = Data()
        try extract(entry, path: path) { data.append($0) }
        return data
    }

    /// Writes every file whose path starts with `prefix` under `folder` (without the prefix), creating folders as
    /// needed. `progress` hears the bytes written so far.
    public func unpack(to folder: URL, prefix: String = "", progress: (Int64) -> Void = { _ in }) throws {
        let manager = FileManager.default
        var written: Int64 = 0
        for (path, entry) in files.sorted(by: { $0.key < $1.key }) where path.hasPrefix(prefix) && path.count > prefix.count {
            let target = folder.appendingPathComponent(String(path.dropFirst(prefix.count)))
            guard target.standardizedFileURL.path.hasPrefix(folder.standardizedFileURL.path + "/") else {
                throw Refusal("its entry \(Self.quoted(path)) would be written outside the package's folder")
            }
            try manager.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            guard manager.createFile(atPath: target.path, contents: nil), let handle = FileHandle(forWritingAtPath: target.path) else {
                throw Refusal("its entry \(Self.quoted(path)) could not be written")
            }
            defer { try? handle.close() }
            try extract(entry, path: path) { chunk in
                handle.write(chunk)
                written += Int64(chunk.count)
            }
            progress(written)
        }
    }

    private func extract(_ entry: Entry, path: String, into consume: (Data) -> Void) throws(Refusal) {
        var seen: UInt64 = 0
        let declared = entry.uncompressedSize
        do {
            let checksum = try archive.extract(entry, skipCRC32: false) { chunk in
                seen += UInt64(chunk.count)
                if seen > declared { throw Refusal("its entry \(Self.quoted(path)) unpacks to more than the \(declared) bytes it declares") }
                consume(chunk)
            }
            if seen != declared || checksum != entry.checksum { throw Refusal("its entry \(Self.quoted(path)) is damaged (its size or checksum does not match)") }
        } catch let refusal as Refusal {
            throw refusal
        } catch {
            throw Refusal("its entry \(Self.quoted(path)) could not be read: the archive is damaged")
        }
    }

    static func quoted(_ path: String) -> String { "‘\(String(path.prefix(120)))’" }

    static func size(_ bytes: Int64) -> String {
        bytes >= 1 << 30 && bytes % (1 << 30) == 0 ? "\(bytes >> 30) GiB" : bytes >= 1 << 20 ? "\(bytes >> 20) MiB" : "\(bytes) bytes"
    }
}
