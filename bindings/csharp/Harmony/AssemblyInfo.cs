using System.Runtime.CompilerServices;

// The NUnit suite reads the golden vectors with the wrapper's own JSON reader.
[assembly: InternalsVisibleTo("Tests")]
