"""Word lists and real audiobook titles from which the fake library is generated."""

from __future__ import annotations

# "Title|Author" of well-known audiobooks; a few carry the variations real libraries have.
_REAL = """\
Project Hail Mary|Andy Weir
The Martian|Andy Weir
Artemis|Andy Weir
Dune|Frank Herbert
Dune Messiah|Frank Herbert
Children of Dune|Frank Herbert
Foundation|Isaac Asimov
Foundation and Empire|Isaac Asimov
Second Foundation|Isaac Asimov
I, Robot|Isaac Asimov
The Caves of Steel|Isaac Asimov
Nightfall|Isaac Asimov
The Hobbit|J.R.R. Tolkien
The Fellowship of the Ring|J.R.R. Tolkien
The Two Towers|J.R.R. Tolkien
The Return of the King|J.R.R. Tolkien
The Silmarillion|J.R.R. Tolkien
The Children of Húrin|J.R.R. Tolkien
Harry Potter and the Sorcerer's Stone|J.K. Rowling
Harry Potter and the Chamber of Secrets|J.K. Rowling
Harry Potter and the Prisoner of Azkaban|J.K. Rowling
Harry Potter and the Goblet of Fire|J.K. Rowling
The Name of the Wind|Patrick Rothfuss
The Wise Man's Fear|Patrick Rothfuss
The Way of Kings|Brandon Sanderson
Words of Radiance|Brandon Sanderson
Oathbringer|Brandon Sanderson
Rhythm of War|Brandon Sanderson
Mistborn: The Final Empire|Brandon Sanderson
The Well of Ascension|Brandon Sanderson
The Hero of Ages|Brandon Sanderson
Elantris|Brandon Sanderson
Warbreaker|Brandon Sanderson
Tress of the Emerald Sea|Brandon Sanderson
The Eye of the World|Robert Jordan
The Great Hunt|Robert Jordan
The Dragon Reborn|Robert Jordan
A Game of Thrones|George R.R. Martin
A Clash of Kings|George R.R. Martin
A Storm of Swords|George R.R. Martin
The Blade Itself|Joe Abercrombie
Before They Are Hanged|Joe Abercrombie
Last Argument of Kings|Joe Abercrombie
Best Served Cold|Joe Abercrombie
NOS4A2|Joe Hill
Horns|Joe Hill
The Shining|Stephen King
It|Stephen King
The Stand|Stephen King
11/22/63|Stephen King
Misery|Stephen King
Carrie|Stephen King
The Gunslinger|Stephen King
Fairy Tale|Stephen King
Holly|Stephen King
The Institute|Stephen King
Ready Player One|Ernest Cline
Ready Player Two|Ernest Cline
Armada|Ernest Cline
Red Rising|Pierce Brown
Golden Son|Pierce Brown
Morning Star|Pierce Brown
Iron Gold|Pierce Brown
Dark Age|Pierce Brown
Light Bringer|Pierce Brown
Leviathan Wakes|James S.A. Corey
Caliban's War|James S.A. Corey
Abaddon's Gate|James S.A. Corey
Cibola Burn|James S.A. Corey
Old Man's War|John Scalzi
The Ghost Brigades|John Scalzi
Redshirts|John Scalzi
The Kaiju Preservation Society|John Scalzi
Hyperion|Dan Simmons
The Fall of Hyperion|Dan Simmons
The Terror|Dan Simmons
Ender's Game|Orson Scott Card
Speaker for the Dead|Orson Scott Card
Neuromancer|William Gibson
Snow Crash|Neal Stephenson
Cryptonomicon|Neal Stephenson
Seveneves|Neal Stephenson
Anathem|Neal Stephenson
The Left Hand of Darkness|Ursula K. Le Guin
A Wizard of Earthsea|Ursula K. Le Guin
The Dispossessed|Ursula K. Le Guin
Kindred|Octavia E. Butler
Parable of the Sower|Octavia E. Butler
The Handmaid's Tale|Margaret Atwood
The Testaments|Margaret Atwood
Oryx and Crake|Margaret Atwood
1984|George Orwell
Animal Farm|George Orwell
Brave New World|Aldous Huxley
Fahrenheit 451|Ray Bradbury
The Martian Chronicles|Ray Bradbury
Slaughterhouse-Five|Kurt Vonnegut
Cat's Cradle|Kurt Vonnegut
Catch-22|Joseph Heller
The Hitchhiker's Guide to the Galaxy|Douglas Adams
The Restaurant at the End of the Universe|Douglas Adams
Good Omens|Terry Pratchett
The Colour of Magic|Terry Pratchett
Guards! Guards!|Terry Pratchett
Small Gods|Terry Pratchett
Going Postal|Terry Pratchett
American Gods|Neil Gaiman
Anansi Boys|Neil Gaiman
The Ocean at the End of the Lane|Neil Gaiman
Neverwhere|Neil Gaiman
Stardust|Neil Gaiman
Coraline|Neil Gaiman
The Graveyard Book|Neil Gaiman
Norse Mythology|Neil Gaiman
Circe|Madeline Miller
The Song of Achilles|Madeline Miller
Piranesi|Susanna Clarke
Jonathan Strange & Mr Norrell|Susanna Clarke
The Night Circus|Erin Morgenstern
The Starless Sea|Erin Morgenstern
The Invisible Life of Addie LaRue|V.E. Schwab
A Darker Shade of Magic|V.E. Schwab
Mexican Gothic|Silvia Moreno-Garcia
The House in the Cerulean Sea|TJ Klune
Under the Whispering Door|TJ Klune
Legends & Lattes|Travis Baldree
Dungeon Crawler Carl|Matt Dinniman
Carl's Doomsday Scenario|Matt Dinniman
The Dungeon Anarchist's Cookbook|Matt Dinniman
He Who Fights with Monsters|Shirtaloon
Cradle: Unsouled|Will Wight
Soulsmith|Will Wight
The Primal Hunter|Zogarth
Defiance of the Fall|TheFirstDefier
Mother of Learning|Domagoj Kurmaić
We Are Legion (We Are Bob)|Dennis E. Taylor
For We Are Many|Dennis E. Taylor
All These Worlds|Dennis E. Taylor
Murderbot: All Systems Red|Martha Wells
Artificial Condition|Martha Wells
Network Effect|Martha Wells
The Long Way to a Small, Angry Planet|Becky Chambers
A Psalm for the Wild-Built|Becky Chambers
The Three-Body Problem|Cixin Liu
The Dark Forest|Cixin Liu
Death's End|Cixin Liu
The Fifth Season|N.K. Jemisin
The Obelisk Gate|N.K. Jemisin
The Stone Sky|N.K. Jemisin
Gideon the Ninth|Tamsyn Muir
Harrow the Ninth|Tamsyn Muir
The Priory of the Orange Tree|Samantha Shannon
Shadow and Bone|Leigh Bardugo
Six of Crows|Leigh Bardugo
Ninth House|Leigh Bardugo
Fourth Wing|Rebecca Yarros
Iron Flame|Rebecca Yarros
A Court of Thorns and Roses|Sarah J. Maas
Throne of Glass|Sarah J. Maas
The Hunger Games|Suzanne Collins
Catching Fire|Suzanne Collins
Mockingjay|Suzanne Collins
The Giver|Lois Lowry
Where the Crawdads Sing|Delia Owens
The Midnight Library|Matt Haig
Lessons in Chemistry|Bonnie Garmus
Tomorrow, and Tomorrow, and Tomorrow|Gabrielle Zevin
Remarkably Bright Creatures|Shelby Van Pelt
The Seven Husbands of Evelyn Hugo|Taylor Jenkins Reid
Daisy Jones & The Six|Taylor Jenkins Reid
Little Fires Everywhere|Celeste Ng
Educated|Tara Westover
Becoming|Michelle Obama
A Promised Land|Barack Obama
Born a Crime|Trevor Noah
Greenlights|Matthew McConaughey
Spare|Prince Harry
Steve Jobs|Walter Isaacson
Elon Musk|Walter Isaacson
Leonardo da Vinci|Walter Isaacson
The Code Breaker|Walter Isaacson
Sapiens|Yuval Noah Harari
Homo Deus|Yuval Noah Harari
21 Lessons for the 21st Century|Yuval Noah Harari
Thinking, Fast and Slow|Daniel Kahneman
Atomic Habits|James Clear
Deep Work|Cal Newport
The Power of Habit|Charles Duhigg
Outliers|Malcolm Gladwell
The Tipping Point|Malcolm Gladwell
Talking to Strangers|Malcolm Gladwell
Quiet|Susan Cain
Freakonomics|Steven D. Levitt
The Body|Bill Bryson
A Short History of Nearly Everything|Bill Bryson
A Walk in the Woods|Bill Bryson
The Immortal Life of Henrietta Lacks|Rebecca Skloot
Into Thin Air|Jon Krakauer
Into the Wild|Jon Krakauer
Unbroken|Laura Hillenbrand
Seabiscuit|Laura Hillenbrand
The Boys in the Boat|Daniel James Brown
Killers of the Flower Moon|David Grann
The Wager|David Grann
The Lost City of Z|David Grann
In Cold Blood|Truman Capote
Bad Blood|John Carreyrou
The Devil in the White City|Erik Larson
The Splendid and the Vile|Erik Larson
Dead Wake|Erik Larson
Team of Rivals|Doris Kearns Goodwin
The Guns of August|Barbara W. Tuchman
The Rise and Fall of the Third Reich|William L. Shirer
Band of Brothers|Stephen E. Ambrose
Guns, Germs, and Steel|Jared Diamond
The Gene|Siddhartha Mukherjee
The Emperor of All Maladies|Siddhartha Mukherjee
Cosmos|Carl Sagan
A Brief History of Time|Stephen Hawking
Astrophysics for People in a Hurry|Neil deGrasse Tyson
The Selfish Gene|Richard Dawkins
Man's Search for Meaning|Viktor E. Frankl
Meditations|Marcus Aurelius
The Art of War|Sun Tzu
The Alchemist|Paulo Coelho
One Hundred Years of Solitude|Gabriel García Márquez
Love in the Time of Cholera|Gabriel García Márquez
The Shadow of the Wind|Carlos Ruiz Zafón
Don Quixote|Miguel de Cervantes
Les Misérables|Victor Hugo
The Count of Monte Cristo|Alexandre Dumas
The Three Musketeers|Alexandre Dumas
Crime and Punishment|Fyodor Dostoevsky
The Brothers Karamazov|Fyodor Dostoevsky
War and Peace|Leo Tolstoy
Anna Karenina|Leo Tolstoy
The Trial|Franz Kafka
The Metamorphosis|Franz Kafka
Steppenwolf|Hermann Hesse
Siddhartha|Hermann Hesse
The Name of the Rose|Umberto Eco
Perfume|Patrick Süskind
The Girl with the Dragon Tattoo|Stieg Larsson
The Snowman|Jo Nesbø
Smilla's Sense of Snow|Peter Høeg
A Man Called Ove|Fredrik Backman
Anxious People|Fredrik Backman
Beartown|Fredrik Backman
Pride and Prejudice|Jane Austen
Emma|Jane Austen
Persuasion|Jane Austen
Sense and Sensibility|Jane Austen
Jane Eyre|Charlotte Brontë
Wuthering Heights|Emily Brontë
Great Expectations|Charles Dickens
A Tale of Two Cities|Charles Dickens
David Copperfield|Charles Dickens
Bleak House|Charles Dickens
Frankenstein|Mary Shelley
Dracula|Bram Stoker
The Picture of Dorian Gray|Oscar Wilde
Moby-Dick|Herman Melville
The Great Gatsby|F. Scott Fitzgerald
To Kill a Mockingbird|Harper Lee
Of Mice and Men|John Steinbeck
East of Eden|John Steinbeck
The Grapes of Wrath|John Steinbeck
The Old Man and the Sea|Ernest Hemingway
For Whom the Bell Tolls|Ernest Hemingway
Beloved|Toni Morrison
The Color Purple|Alice Walker
The Road|Cormac McCarthy
Blood Meridian|Cormac McCarthy
No Country for Old Men|Cormac McCarthy
Lonesome Dove|Larry McMurtry
The Goldfinch|Donna Tartt
The Secret History|Donna Tartt
Never Let Me Go|Kazuo Ishiguro
The Remains of the Day|Kazuo Ishiguro
Klara and the Sun|Kazuo Ishiguro
Norwegian Wood|Haruki Murakami
Kafka on the Shore|Haruki Murakami
1Q84|Haruki Murakami
Life of Pi|Yann Martel
The Kite Runner|Khaled Hosseini
A Thousand Splendid Suns|Khaled Hosseini
All the Light We Cannot See|Anthony Doerr
Cloud Cuckoo Land|Anthony Doerr
The Book Thief|Markus Zusak
Gone Girl|Gillian Flynn
Sharp Objects|Gillian Flynn
The Silent Patient|Alex Michaelides
The Girl on the Train|Paula Hawkins
Big Little Lies|Liane Moriarty
The Thursday Murder Club|Richard Osman
The Da Vinci Code|Dan Brown
Angels & Demons|Dan Brown
The Firm|John Grisham
A Time to Kill|John Grisham
Jurassic Park|Michael Crichton
The Andromeda Strain|Michael Crichton
Sphere|Michael Crichton
The Hunt for Red October|Tom Clancy
Killing Floor|Lee Child
The Cuckoo's Calling|Robert Galbraith
Murder on the Orient Express|Agatha Christie
And Then There Were None|Agatha Christie
The Murder of Roger Ackroyd|Agatha Christie
The Hound of the Baskervilles|Arthur Conan Doyle
A Study in Scarlet|Arthur Conan Doyle
The Big Sleep|Raymond Chandler
The Maltese Falcon|Dashiell Hammett
Rebecca|Daphne du Maurier
The Haunting of Hill House|Shirley Jackson
Interview with the Vampire|Anne Rice
World War Z|Max Brooks
The Passage|Justin Cronin
Recursion|Blake Crouch
Dark Matter|Blake Crouch
Upgrade|Blake Crouch
Sea of Tranquility|Emily St. John Mandel
Station Eleven|Emily St. John Mandel
Children of Time|Adrian Tchaikovsky
Children of Ruin|Adrian Tchaikovsky
Shards of Earth|Adrian Tchaikovsky
Bobiverse: Heaven's River|Dennis E. Taylor
Old Man's War: The Last Colony|John Scalzi
The Lies of Locke Lamora|Scott Lynch
Red Seas Under Red Skies|Scott Lynch
Assassin's Apprentice|Robin Hobb
Royal Assassin|Robin Hobb
The Final Empire|Brandon Sanderson
Kushiel's Dart|Jacqueline Carey
The Poppy War|R.F. Kuang
Babel|R.F. Kuang
Yellowface|R.F. Kuang
The Way of Shadows|Brent Weeks
The Black Prism|Brent Weeks
Gardens of the Moon|Steven Erikson
Sword of Destiny|Andrzej Sapkowski
The Last Wish|Andrzej Sapkowski
Blood of Elves|Andrzej Sapkowski
Roadside Picnic|Arkady Strugatsky
Solaris|Stanisław Lem
The Cyberiad|Stanisław Lem
War of the Worlds|H.G. Wells
The Time Machine|H.G. Wells
Twenty Thousand Leagues Under the Sea|Jules Verne
Around the World in Eighty Days|Jules Verne
"""

REAL_TITLES: tuple[tuple[str, str], ...] = tuple(
    (line.split("|", 1)[0], line.split("|", 1)[1]) for line in _REAL.splitlines() if "|" in line
)

# Real narrators; libraries often file books under them, and taggers put them in originalTitle.
NARRATORS: tuple[str, ...] = (
    "Ray Porter", "Scott Brick", "Kate Reading", "Michael Kramer", "Jim Dale", "Stephen Fry",
    "Wil Wheaton", "R.C. Bray", "Luke Daniels", "Julia Whelan", "January LaVoy", "Simon Vance",
    "Davina Porter", "Frank Muller", "Steven Pacey", "Tim Gerard Reynolds", "Kristen Sieh",
    "Emily Woo Zeller", "Travis Baldree", "Jefferson Mays", "Jeff Hays", "Andy Serkis",
    "Rob Inglis", "Roy Dotrice", "John Lee", "Juliet Stevenson", "Carolyn Seymour",
    "Peter Kenny", "Nigel Planer", "Frank Muller", "Grover Gardner", "Bahni Turpin",
    "Adjoa Andoh", "Dion Graham", "Robin Miles", "Edoardo Ballerini", "Cassandra Campbell",
    "Marin Ireland", "Fiona Hardingham", "Nicholas Guy Smith", "Heath Miller", "Jeff Hays",
    "Ralph Cosham", "Derek Perkins", "Moira Quirk", "Ciarán Hinds", "Jayne Entwistle",
)

FIRST_NAMES: tuple[str, ...] = (
    "Anna", "Ben", "Clara", "David", "Elena", "Felix", "Grace", "Henry", "Iris", "James",
    "Katherine", "Liam", "Maya", "Nathan", "Olivia", "Peter", "Quinn", "Rosa", "Samuel",
    "Tessa", "Uma", "Victor", "Wendy", "Xavier", "Yara", "Zoë", "José", "Chloé", "Björn",
    "Søren", "Łukasz", "Ines", "Matthias", "Aoife", "Siobhán", "Jürgen", "François", "Ngozi",
    "Hiroshi", "Mei", "Amara", "Rafael", "Dmitri", "Astrid", "Hélène", "Jonas", "Lucía",
    "Mateo", "Priya", "Tomás", "Erin", "Marcus", "Naomi", "Oscar", "Ruth", "Sebastian",
)

LAST_NAMES: tuple[str, ...] = (
    "Abbott", "Blackwood", "Carver", "Donovan", "Ellison", "Fairchild", "Garrison", "Hale",
    "Ingram", "Jarvis", "Kingsley", "Lockwood", "Mercer", "Northcott", "Osborne", "Prescott",
    "Quill", "Ravensworth", "Sterling", "Thorne", "Underwood", "Vance", "Whitaker", "Yardley",
    "Müller", "Čapek", "Østergaard", "García", "Núñez", "Ó Súilleabháin", "Lefèvre", "Nakamura",
    "Okonkwo", "Kowalski", "Lindqvist", "Rossi", "Schäfer", "Dubois", "Haddad", "Petrov",
    "Fitzgerald", "MacLeod", "O'Brien", "Van der Berg", "de la Cruz", "St. James", "Brontë",
)

ADJECTIVES: tuple[str, ...] = (
    "Silent", "Broken", "Hidden", "Burning", "Last", "Forgotten", "Crimson", "Hollow", "Iron",
    "Golden", "Shattered", "Midnight", "Endless", "Wandering", "Sunken", "Frozen", "Velvet",
    "Scarlet", "Winter", "Distant", "Quiet", "Lost", "Wild", "Dark", "Bright", "Ninth",
    "Secret", "Stolen", "Bitter", "Glass", "Paper", "Shadow", "Copper", "Emerald", "Ashen",
)

NOUNS: tuple[str, ...] = (
    "Kingdom", "Tide", "Crown", "Garden", "River", "Empire", "Library", "Lighthouse", "Orchard",
    "Forest", "Harbor", "Citadel", "Mirror", "Compass", "Storm", "Archive", "Cathedral", "Map",
    "Witness", "Stranger", "Daughter", "Engineer", "Cartographer", "Clockmaker", "Alchemist",
    "City", "Star", "Sea", "Mountain", "Key", "Letter", "House", "Bridge", "Island", "Machine",
    "Frontier", "Dragon", "Wolf", "Raven", "Sword", "Throne", "Gate", "Tower", "Fire", "Moon",
)

SUBTITLES: tuple[str, ...] = (
    "A Memoir", "A Thriller", "A History", "The Untold Story", "An Epic Fantasy",
    "A LitRPG Adventure", "How We Got Here", "Lessons from a Life", "A Space Opera",
    "The Definitive Edition", "A Cozy Mystery", "Notes on Everything", "A Love Story",
)

SERIES_WORDS: tuple[str, ...] = (
    "Chronicles", "Saga", "Cycle", "Trilogy", "Archives", "Legacy", "Sequence", "Files",
)

PUBLISHERS: tuple[str, ...] = (
    "Audible Studios", "Penguin Audio", "Random House Audio", "Tantor Audio", "Podium Audio",
    "HarperAudio", "Macmillan Audio", "Hachette Audio", "Blackstone Audio", "Brilliance Audio",
    "Recorded Books", "Simon & Schuster Audio", "Graphic Audio", "Soundbooth Theater",
)

GENRES: tuple[str, ...] = (
    "Science Fiction & Fantasy", "Literature & Fiction", "Mystery, Thriller & Suspense",
    "Biographies & Memoirs", "History", "Romance", "Self Development", "Business & Careers",
    "Science & Engineering", "Teen & Young Adult", "Horror", "Classics",
)

EMOJI: tuple[str, ...] = ("🐉", "🚀", "✨", "🔥", "🌙", "📚")

# A second music library, so the client's choice of section matters.
MUSIC_ALBUMS: tuple[tuple[str, str, int], ...] = (
    ("Rumours", "Fleetwood Mac", 1977),
    ("Kind of Blue", "Miles Davis", 1959),
    ("OK Computer", "Radiohead", 1997),
    ("Blue", "Joni Mitchell", 1971),
    ("Random Access Memories", "Daft Punk", 2013),
    ("The Dark Side of the Moon", "Pink Floyd", 1973),
    ("Homogenic", "Björk", 1997),
    ("Back to Black", "Amy Winehouse", 2006),
    ("Abbey Road", "The Beatles", 1969),
    ("Sigur Rós ( )", "Sigur Rós", 2002),
    ("Bad Omens", "Bad Omens", 2016),
    ("Foundation", "Nitin Sawhney", 2008),
)
