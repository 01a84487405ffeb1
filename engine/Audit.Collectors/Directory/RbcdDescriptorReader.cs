using System.Buffers.Binary;

namespace Audit.Collectors.Directory;

/// <summary>
/// Reads msDS-AllowedToActOnBehalfOfOtherIdentity: a self-relative SECURITY_DESCRIPTOR whose DACL lists the accounts
/// allowed to delegate to the computer. Returns the SIDs of the access-allowed ACEs, or null when the bytes cannot be
/// parsed (the caller then keeps "RBCD present" and an empty list: presence is never lost).
/// </summary>
internal static class RbcdDescriptorReader
{
    private const ushort SelfRelative = 0x8000;
    private const ushort DaclPresent = 0x0004;
    private const int DescriptorHeader = 20;
    private const int AclHeader = 8;

    private const byte AccessAllowed = 0x00;
    private const byte AccessAllowedObject = 0x05;
    private const byte AccessAllowedCallback = 0x09;
    private const byte AccessAllowedCallbackObject = 0x0B;

    private const uint ObjectTypePresent = 0x1;
    private const uint InheritedObjectTypePresent = 0x2;

    public static IReadOnlyList<string>? TryReadAllowedSids(ReadOnlySpan<byte> sd)
    {
        if (sd.Length < DescriptorHeader || sd[0] != 1)
        {
            return null;
        }
        var control = BinaryPrimitives.ReadUInt16LittleEndian(sd[2..]);
        if ((control & SelfRelative) == 0)
        {
            return null;
        }
        var daclOffset = BinaryPrimitives.ReadUInt32LittleEndian(sd[16..]);
        if ((control & DaclPresent) == 0 || daclOffset == 0)
        {
            return [];
        }
        if (daclOffset < DescriptorHeader || daclOffset > (uint)(sd.Length - AclHeader))
        {
            return null;
        }
        var acl = sd[(int)daclOffset..];
        if (acl[0] is not (2 or 4))
        {
            return null;
        }
        int aclSize = BinaryPrimitives.ReadUInt16LittleEndian(acl[2..]);
        int aceCount = BinaryPrimitives.ReadUInt16LittleEndian(acl[4..]);
        if (aclSize < AclHeader || aclSize > acl.Length)
        {
            return null;
        }
        acl = acl[..aclSize];
        var sids = new SortedSet<string>(StringComparer.Ordinal);
        var pos = AclHeader;
        for (var i = 0; i < aceCount; i++)
        {
            if (pos + 4 > acl.Length)
            {
                return null;
            }
            var type = acl[pos];
            int aceSize = BinaryPrimitives.ReadUInt16LittleEndian(acl[(pos + 2)..]);
            if (aceSize < 4 || pos + aceSize > acl.Length)
            {
                return null;
            }
            var ace = acl.Slice(pos, aceSize);
            switch (type)
            {
                case AccessAllowed or AccessAllowedCallback:
                    {
                        if (ace.Length < 8 || SidReader.TryRead(ace[8..], out _) is not { } sid)
                        {
                            return null;
                        }
                        sids.Add(sid);
                        break;
                    }
                case AccessAllowedObject or AccessAllowedCallbackObject:
                    {
                        if (ace.Length < 12)
                        {
                            return null;
                        }
                        var flags = BinaryPrimitives.ReadUInt32LittleEndian(ace[8..]);
                        var sidAt = 12 + ((flags & ObjectTypePresent) != 0 ? 16 : 0) + ((flags & InheritedObjectTypePresent) != 0 ? 16 : 0);
                        if (ace.Length < sidAt || SidReader.TryRead(ace[sidAt..], out _) is not { } sid)
                        {
                            return null;
                        }
                        sids.Add(sid);
                        break;
                    }
                default:
                    // Deny and audit ACEs do not grant delegation; they are skipped.
                    break;
            }
            pos += aceSize;
        }
        return [.. sids];
    }
}
