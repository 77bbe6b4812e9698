using System.Reflection;
using System.Xml.Linq;

namespace PageTableMultiarch.Properties.Safety;

/// <summary>
/// The exceptions the library's XML documentation lists for each public member (<c>&lt;exception cref="..."/&gt;</c>),
/// read from <c>PageTableMultiarch.xml</c> beside the assembly. Overloads share their name's list; a member that
/// inherits its documentation (an interface's, a base type's) also gets the lists of the members it implements.
/// </summary>
internal sealed class DocumentedExceptions
{
    private readonly Dictionary<string, HashSet<string>> _byName = new(StringComparer.Ordinal);

    private DocumentedExceptions() { }

    public static DocumentedExceptions Load(Assembly library)
    {
        string path = Path.ChangeExtension(library.Location, ".xml");
        if (!File.Exists(path)) throw new FileNotFoundException("The library's XML documentation is not beside it.", path);
        var docs = new DocumentedExceptions();
        foreach (var member in XDocument.Load(path).Descendants("member"))
        {
            string id = (string)member.Attribute("name")!;
            int paren = id.IndexOf('(', StringComparison.Ordinal);
            string key = paren < 0 ? id : id[..paren];
            int generic = key.IndexOf("``", StringComparison.Ordinal); // a generic method: "M:T.MapRegion``1"
            if (generic >= 0) key = key[..generic];
            if (!docs._byName.TryGetValue(key, out var set)) docs._byName[key] = set = new HashSet<string>(StringComparer.Ordinal);
            foreach (var exception in member.Elements("exception"))
                set.Add(((string)exception.Attribute("cref")!)[2..]); // "T:System.ArgumentException"
        }
        return docs;
    }

    /// <summary>Whether a member was documented at all (a name the documentation knows).</summary>
    public bool Knows(MemberInfo member) => Keys(member).Any(_byName.ContainsKey);

    /// <summary>Whether <paramref name="thrown"/> (or a type it derives from) is listed for <paramref name="member"/>.</summary>
    public bool Allows(MemberInfo member, Type thrown)
    {
        foreach (string key in Keys(member))
        {
            if (!_byName.TryGetValue(key, out var listed)) continue;
            for (Type? t = thrown; t is not null; t = t.BaseType)
                if (listed.Contains(t.FullName!)) return true;
        }
        return false;
    }

    /// <summary>The documentation names of <paramref name="member"/> and of the members it implements or overrides.</summary>
    private static IEnumerable<string> Keys(MemberInfo member)
    {
        Type declaring = member.DeclaringType!;
        string name = member.Name;
        char kind = 'M';
        if (member is MethodInfo m && m.IsSpecialName && (name.StartsWith("get_", StringComparison.Ordinal) || name.StartsWith("set_", StringComparison.Ordinal)))
        {
            kind = 'P';
            name = name[4..];
        }
        else if (member is ConstructorInfo) name = "#ctor";
        else if (member is PropertyInfo) kind = 'P';

        yield return $"{kind}:{DocName(declaring)}.{name}";
        foreach (Type itf in declaring.GetInterfaces())
            yield return $"{kind}:{DocName(itf)}.{name}";
        for (Type? b = declaring.BaseType; b is not null && b != typeof(object); b = b.BaseType)
            yield return $"{kind}:{DocName(b)}.{name}";
    }

    private static string DocName(Type type)
    {
        if (type.IsGenericType) type = type.GetGenericTypeDefinition();
        return type.FullName!.Replace('+', '.');
    }
}
