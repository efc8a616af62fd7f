package demo

// country describes where customers and stores live: its share of
// customers, how its mobile numbers are written and its cities, largest
// first.
type country struct {
	code   string
	weight float64
	dial   string   // E.164 country code with its "+"
	mobile []string // national mobile prefixes
	digits int      // random digits after the prefix
	cities []string
	first  []string
	last   []string
}

// countries is ordered by weight so that the first entries dominate, as in
// a European retailer's base.
var countries = []country{
	{code: "FR", weight: 35, dial: "+33", mobile: []string{"6", "7"}, digits: 8,
		cities: []string{"Paris", "Marseille", "Lyon", "Toulouse", "Nice", "Nantes", "Strasbourg", "Montpellier", "Bordeaux", "Lille", "Rennes", "Reims", "Saint-Étienne", "Le Havre", "Toulon", "Grenoble", "Dijon", "Angers"},
		first:  []string{"Marie", "Jean", "Camille", "Louis", "Léa", "Hugo", "Chloé", "Lucas", "Manon", "Gabriel", "Inès", "Arthur", "Juliette", "Nathan", "Sarah", "Thomas", "Émilie", "Pierre", "Anaïs", "Nicolas"},
		last:   []string{"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier"}},
	{code: "DE", weight: 20, dial: "+49", mobile: []string{"151", "152", "157", "160", "162", "170", "171", "172", "175", "176", "177", "178", "179"}, digits: 8,
		cities: []string{"Berlin", "Hamburg", "München", "Köln", "Frankfurt am Main", "Stuttgart", "Düsseldorf", "Leipzig", "Dortmund", "Essen", "Bremen", "Dresden", "Hannover", "Nürnberg"},
		first:  []string{"Anna", "Lukas", "Lena", "Felix", "Laura", "Jonas", "Julia", "Leon", "Sophie", "Paul", "Hannah", "Maximilian", "Katharina", "Jan", "Mia", "Tobias", "Lea", "Stefan", "Sabine", "Jürgen"},
		last:   []string{"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann"}},
	{code: "GB", weight: 15, dial: "+44", mobile: []string{"7"}, digits: 9,
		cities: []string{"London", "Birmingham", "Manchester", "Glasgow", "Leeds", "Liverpool", "Bristol", "Sheffield", "Edinburgh", "Cardiff", "Leicester", "Belfast"},
		first:  []string{"Oliver", "Olivia", "George", "Amelia", "Harry", "Isla", "Jack", "Emily", "Charlie", "Poppy", "Thomas", "Jessica", "James", "Sophie", "William", "Grace", "Daniel", "Charlotte", "Alfie", "Lucy"},
		last:   []string{"Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson", "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green", "Hall"}},
	{code: "ES", weight: 10, dial: "+34", mobile: []string{"6", "7"}, digits: 8,
		cities: []string{"Madrid", "Barcelona", "Valencia", "Sevilla", "Zaragoza", "Málaga", "Murcia", "Palma", "Bilbao", "Alicante"},
		first:  []string{"Lucía", "Hugo", "Sofía", "Martín", "María", "Pablo", "Paula", "Daniel", "Julia", "Alejandro", "Carmen", "Javier", "Elena", "Sergio", "Laura", "Diego"},
		last:   []string{"García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez", "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Álvarez"}},
	{code: "IT", weight: 8, dial: "+39", mobile: []string{"320", "328", "333", "338", "340", "347", "349", "366", "380", "391"}, digits: 7,
		cities: []string{"Roma", "Milano", "Napoli", "Torino", "Palermo", "Genova", "Bologna", "Firenze", "Bari", "Verona"},
		first:  []string{"Giulia", "Leonardo", "Sofia", "Francesco", "Aurora", "Alessandro", "Alice", "Lorenzo", "Ginevra", "Mattia", "Chiara", "Marco", "Francesca", "Andrea", "Martina", "Luca"},
		last:   []string{"Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Costa", "Giordano"}},
	{code: "BE", weight: 4, dial: "+32", mobile: []string{"47", "48", "49"}, digits: 7,
		cities: []string{"Bruxelles", "Antwerpen", "Gent", "Charleroi", "Liège", "Brugge", "Namur", "Leuven"},
		first:  []string{"Emma", "Noah", "Olivia", "Louis", "Louise", "Arthur", "Elena", "Jules", "Mila", "Adam", "Lina", "Victor", "Nora", "Liam", "Alice", "Finn"},
		last:   []string{"Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens", "Wouters", "De Smet", "Dubois", "Lambert", "Dupont", "Martin", "Lejeune", "Hermans"}},
	{code: "NL", weight: 3, dial: "+31", mobile: []string{"6"}, digits: 8,
		cities: []string{"Amsterdam", "Rotterdam", "Den Haag", "Utrecht", "Eindhoven", "Groningen", "Tilburg", "Almere"},
		first:  []string{"Emma", "Daan", "Julia", "Sem", "Tess", "Lucas", "Sophie", "Levi", "Zoë", "Finn", "Anna", "Milan", "Sara", "Bram", "Eva", "Jesse"},
		last:   []string{"de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters"}},
	// US numbers use the fictional 555-01XX range.
	{code: "US", weight: 2, dial: "+1", mobile: []string{"21255501", "31255501", "41555501", "61755501", "30555501", "20655501", "70255501", "21355501"}, digits: 2,
		cities: []string{"New York", "Los Angeles", "Chicago", "Houston", "Phoenix", "Philadelphia", "San Francisco", "Boston", "Seattle", "Miami"},
		first:  []string{"James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "David", "Elizabeth", "William", "Susan", "Ashley", "Joshua", "Emily", "Tyler"},
		last:   []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez", "Wilson", "Anderson", "Taylor", "Moore", "Jackson", "Lee"}},
	{code: "CH", weight: 1.5, dial: "+41", mobile: []string{"75", "76", "77", "78", "79"}, digits: 7,
		cities: []string{"Zürich", "Genève", "Basel", "Lausanne", "Bern", "Winterthur", "Lugano"},
		first:  []string{"Mia", "Noah", "Emma", "Liam", "Lina", "Luca", "Elena", "Leon", "Sofia", "Matteo", "Lara", "Gabriel", "Nina", "Elias", "Léa", "David"},
		last:   []string{"Müller", "Meier", "Schmid", "Keller", "Weber", "Huber", "Schneider", "Meyer", "Steiner", "Fischer", "Gerber", "Brunner", "Baumann", "Favre", "Rochat", "Bianchi"}},
	{code: "PT", weight: 1.5, dial: "+351", mobile: []string{"91", "92", "93", "96"}, digits: 7,
		cities: []string{"Lisboa", "Porto", "Braga", "Coimbra", "Funchal", "Faro", "Aveiro"},
		first:  []string{"Maria", "João", "Ana", "Francisco", "Beatriz", "Tomás", "Mariana", "Duarte", "Inês", "Santiago", "Leonor", "Rodrigo", "Matilde", "Afonso", "Carolina", "Miguel"},
		last:   []string{"Silva", "Santos", "Ferreira", "Pereira", "Oliveira", "Costa", "Rodrigues", "Martins", "Jesus", "Sousa", "Fernandes", "Gonçalves", "Gomes", "Lopes", "Marques", "Alves"}},
}

// category describes a product category: how many of the catalogue's
// products it holds (weight), its median price and what its items are.
type category struct {
	name   string
	weight float64
	median float64 // median price in euros
	nouns  []string
}

// categories follows the enum in model.yaml, in the same order.
var categories = []category{
	{"electronics", 12, 89, []string{"Headphones", "Speaker", "Charger", "Smartwatch", "Tablet", "Keyboard", "Mouse", "Camera", "Power Bank", "Earbuds"}},
	{"fashion", 20, 39, []string{"T-Shirt", "Jeans", "Jacket", "Sneakers", "Dress", "Hoodie", "Scarf", "Boots", "Shirt", "Cap"}},
	{"home", 12, 29, []string{"Lamp", "Cushion", "Vase", "Towel Set", "Mug", "Frame", "Candle", "Blanket", "Rug", "Clock"}},
	{"beauty", 10, 19, []string{"Serum", "Lipstick", "Shampoo", "Face Cream", "Perfume", "Mascara", "Body Lotion", "Nail Polish", "Cleanser", "Sunscreen"}},
	{"sports", 9, 45, []string{"Running Shoes", "Yoga Mat", "Water Bottle", "Dumbbells", "Tennis Racket", "Backpack", "Leggings", "Bike Helmet", "Jersey", "Ball"}},
	{"toys", 8, 24, []string{"Puzzle", "Building Set", "Doll", "Board Game", "Plush", "Toy Car", "Kite", "Train Set", "Robot", "Craft Kit"}},
	{"grocery", 10, 6, []string{"Coffee", "Tea", "Chocolate", "Olive Oil", "Pasta", "Honey", "Granola", "Jam", "Biscuits", "Spices"}},
	{"books", 8, 16, []string{"Novel", "Cookbook", "Travel Guide", "Comic", "Biography", "Atlas", "Notebook", "Poetry", "Thriller", "Art Book"}},
	{"garden", 6, 34, []string{"Planter", "Hose", "Seeds", "Pruner", "Lantern", "Bird Feeder", "Watering Can", "Gloves", "Hammock", "Parasol"}},
	{"jewelry", 5, 59, []string{"Necklace", "Ring", "Bracelet", "Earrings", "Watch", "Pendant", "Brooch", "Anklet", "Cufflinks", "Charm"}},
}

// adjectives and brands make product names; all invented.
var (
	adjectives = []string{"Classic", "Essential", "Urban", "Nordic", "Premium", "Eco", "Vintage", "Compact", "Deluxe", "Everyday", "Signature", "Pro", "Soft", "Bold", "Pure", "Summit"}
	brands     = []string{"Aubergine", "Nordvik", "Casa Lumo", "Verdant", "Maison Clair", "Kestrel", "Alba", "Solenne", "Brightwell", "Tundra", "Oakhaven", "Lumière", "Pacifica", "Zephyr", "Marlow", "Ivory & Co", "Helios", "Riverstone", "Bellamy", "Fjord", "Corvo", "Halcyon", "Monarch", "Sable", "Wren", "Atelier Nove", "Quill", "Bramble", "Cobalt", "Larkspur"}
	districts  = []string{"Centre", "Gare", "Nord", "Sud", "Est", "Ouest", "Mall", "Outlet", "Plaza", "Old Town", "Airport", "Riverside"}
)

// Enumerated values, in model.yaml's order.
var (
	tiers     = []string{"none", "silver", "gold", "platinum"}
	plans     = []string{"basic", "plus", "premium"}
	platforms = []string{"ios", "android"}
	domains   = []string{"example.com", "example.org", "example.net"} // RFC 2606
)
