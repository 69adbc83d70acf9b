"""Names, streets and towns of bench/gen_latin.py: English and European, with variants.

Each name entry is 'Formal|Variant|Nickname:weight' ('_' stands for a space inside a name).
"""

MALE = """James|Jim|Jimmy:40 John|Jon|Johnny:40 Robert|Bob|Rob|Bobby:35 Michael|Mike|Mick:35
William|Bill|Will|Billy:30 David|Dave:30 Richard|Rick|Dick:20 Joseph|Joe:20 Thomas|Tom|Tommy:25
Charles|Charlie|Chuck:18 Christopher|Chris:18 Daniel|Dan|Danny:18 Matthew|Matt:15
Anthony|Tony:15 Mark:15 Steven|Stephen|Steve:15 Paul:15 Andrew|Andy|Drew:15 Peter|Pete:14
Edward|Ed|Eddie|Ted:12 George:12 Kevin:10 Brian|Bryan:10 Jean:10 Pierre:8 Luca:8 Marco:8
Giuseppe|Peppe:6 Antonio|Toni:8 Jose|Pepe:8 Juan:8 Carlos:6 Miguel:6 Hans:6 Klaus:5
Jürgen|Juergen:5 Stefan|Stephan:6 Lukas|Lucas:8 Jakub|Kuba:6 Piotr:6 Tomasz|Tomek:5
Jan:8 Pieter:4 Willem|Wim:4 Sven:4 Lars:4 Henrik|Henry|Harry:8 Patrick|Pat|Paddy:8
Sean|Shaun:6 Liam:8 Noah:8 Oliver|Ollie:8 Samuel|Sam:8 Benjamin|Ben:8 Alexander|Alex:10
Nicholas|Nick:8 Jonathan|Jon:6 Philip|Phillip|Phil:6 Geoffrey|Jeffrey|Geoff|Jeff:5
Frederick|Fred|Freddie:5 Albert|Bert:4 Francis|Frank:6 François|Francois:4 Mathieu|Matthieu:4
Nicolas:5 Louis:6 Hugo:5 Léo|Leo:5 Mateo|Matteo:6 Aleksander|Olek:3 Dmitri|Dmitry:3"""

FEMALE = """Mary|Molly:35 Patricia|Pat|Patty|Trish:20 Jennifer|Jenny|Jen:20 Linda:15
Elizabeth|Liz|Beth|Betty|Eliza:30 Barbara|Barb:12 Susan|Sue|Susie:15 Jessica|Jess:15
Sarah|Sara:18 Karen|Caren:12 Nancy:8 Lisa:10 Margaret|Maggie|Peggy|Meg:15
Catherine|Katherine|Kathryn|Kate|Kathy|Cathy:20 Anne|Ann|Annie:15 Emma:15 Olivia|Liv:12
Sophie|Sophia|Sofia:15 Charlotte|Lottie:10 Amelia|Amy:10 Emily|Em:12 Grace:8 Lucy:8
Hannah|Hanna:10 Laura:10 Julia|Giulia:10 Maria:15 Marie:10 Ana|Anna:12 Isabel|Isabelle|Izzy:8
Camille:5 Chloé|Chloe:8 Léa|Lea:6 Manon:4 Francesca|Fran:5 Chiara:5 Lucía|Lucia:6
Carmen:5 Elena|Helena:8 Katarzyna|Kasia:6 Agnieszka|Aga:4 Małgorzata|Malgorzata|Gosia:4
Ingrid:4 Astrid:3 Anke:3 Ursula|Ulla:3 Greta:4 Eva|Eve:6 Rebecca|Becky:8 Victoria|Vicky:8
Alexandra|Alex|Sasha:6 Christine|Christina|Chris:8 Deborah|Debbie|Deb:5 Rachel:6
Nicole|Nicola|Nikki:6 Rose|Rosie:5 Claire|Clare:6 Jane:8 Helen|Ellen:8 Joanna|Jo:5"""

FAMILY = """Smith:60 Jones:40 Williams:35 Brown:35 Taylor:30 Davies|Davis:25 Wilson:20 Evans:20
Thomas:18 Johnson:18 Roberts:16 Walker:16 Wright:14 Robinson:14 Thompson:14 White:14
Hughes:12 Edwards:12 Green:12 Hall:12 Wood:12 Harris:12 Lewis:12 Martin:14 Jackson:10
Clarke|Clark:12 Turner:10 Hill:10 Scott:10 Cooper:10 Morris:10 Ward:8 Moore:8 King:8
Watson:8 Baker:8 Harrison:8 Morgan:8 Patel:10 Young:8 Allen:8 Mitchell:7 James:7 Anderson:7
Phillips|Philips:7 Lee:8 Bell:7 Parker:7 Bennett:6 Price:6 Griffiths:6 Kelly:6 Simpson:6
Murphy:8 O'Brien|OBrien|O_Brien:7 O'Neill|ONeill|O'Neil:5 McDonald|MacDonald|Mcdonald:6
McCarthy|MacCarthy:4 Murray:5 Campbell:6 Stewart|Stuart:5 Fraser|Frazer:4 Ross:4
Müller|Mueller|Muller:15 Schmidt|Schmitt:12 Schneider:10 Fischer|Fisher:10 Weber:8
Meyer|Meier|Mayer:10 Wagner:8 Becker:7 Schulz|Schultz:7 Hoffmann|Hoffman:7
Schäfer|Schaefer|Schafer:5 Koch:6
Bauer:6 Richter:5 Klein:6 Wolf|Wolff:5 Schröder|Schroeder|Schroder:5 Neumann:5 Braun:5
Zimmermann|Zimmerman:4 Krüger|Krueger|Kruger:4 Hartmann:4 Lange:4 Werner:4 Krause:4
García|Garcia:12 Rodríguez|Rodriguez:10 González|Gonzalez:10 Fernández|Fernandez:10
López|Lopez:10 Martínez|Martinez:10 Sánchez|Sanchez:8 Pérez|Perez:8 Gómez|Gomez:6
Díaz|Diaz:6 Moreno:5 Álvarez|Alvarez:5 Romero:5 Navarro:4 Torres:5 Ruiz:5
Rossi:10 Russo:8 Ferrari:7 Esposito:7 Bianchi:6 Romano:6 Colombo:6 Ricci:5 Marino:5
Greco:5 Bruno:5 Gallo:5 Conti:4 De_Luca|DeLuca:4 Costa:5 Giordano:4 Mancini:4 Lombardi:4
Nowak:10 Kowalski|Kowalsky:8 Wiśniewski|Wisniewski:6 Wójcik|Wojcik:5 Kowalczyk:5
Kamiński|Kaminski:5 Lewandowski:5 Zieliński|Zielinski:4 Szymański|Szymanski:4
Dubois:6 Bernard:6 Durand:5 Lefèvre|Lefevre|Lefebvre:5 Moreau:5 Laurent:5 Simon:5
Michel:5 Leroy:4 Roux:4 David:4 Bertrand:4 Morel:4 Fournier:4 Girard:4 Bonnet:4
de_Jong|De_Jong|Dejong:5 Jansen|Janssen:6 de_Vries|De_Vries|Devries:5
van_den_Berg|Van_den_Berg|Vandenberg:4 van_Dijk|Van_Dijk|Vandijk:4
Bakker:4 Visser:4 Smit:4 Meijer|Meyer:3 de_Boer|De_Boer:3
Johansson:4 Andersson:4 Karlsson|Carlsson:4 Nilsson:4 Eriksson|Ericsson:4 Larsson:4
Hansen:5 Nielsen|Nielson:5 Jensen:5 Pedersen|Petersen:4 Olsen|Olson:4
Silva:6 Santos:6 Ferreira:5 Pereira:5 Oliveira:5 Costa-Silva:1 García-López|Garcia_Lopez:1
Horvat:3 Novak:4 Kovačević|Kovacevic:3 Popescu:4 Ionescu:3 Nagy:4 Kovács|Kovacs:3
Papadopoulos:3 Yilmaz:3 Ivanov:3 Petrov:3"""

STREETS = """High Church Station Mill Park Victoria London Green Manor Kings Queens Mill Bridge
Chapel School North South West East Main Oak Elm Maple Cedar Willow Ash Birch Rose
Hawthorn Orchard Meadow Spring Hill Garden Market Castle Abbey Albert York Windsor
Lime Beech Grange Rectory Cross Heath Forest River Brook Lake Canal Harbour Quay
Goethe Schiller Bahnhof Haupt Linden Rosen Berg Wald Kirch Schul Garten Markt Ring
Rue-de-la-Paix Victor-Hugo Pasteur Jean-Jaures Gambetta Verdi Garibaldi Mazzini Roma Dante
Mayor Real Sol Luna Alcala Gran-Via Marszalkowska Dluga Krakowska Kerkstraat Dorpstraat"""

SUFFIXES = [("Street", ["St", "St.", "Str"]), ("Road", ["Rd", "Rd."]), ("Avenue", ["Ave", "Av"]),
            ("Lane", ["Ln"]), ("Close", ["Cl"]), ("Drive", ["Dr"]), ("Place", ["Pl"]),
            ("Crescent", ["Cres"]), ("Way", [])]  # fmt: skip
TOWNS = """Leeds Bristol Manchester Liverpool Sheffield Cardiff Glasgow Edinburgh Belfast Dublin
Cork Galway Lyon Marseille Toulouse Lille Nantes Bordeaux Munich Hamburg Cologne Frankfurt
Stuttgart Leipzig Dresden Milan Turin Naples Bologna Florence Madrid Seville Valencia Bilbao
Lisbon Porto Krakow Warsaw Gdansk Poznan Wroclaw Rotterdam Utrecht Eindhoven Antwerp Ghent
Malmo Gothenburg Aarhus Odense Bergen Graz Linz Basel Geneva Brno Ostrava Zagreb Cluj"""
OCR = [("rn", "m"), ("m", "rn"), ("cl", "d"), ("d", "cl"), ("l", "1"), ("O", "0"), ("o", "0"),
       ("i", "l"), ("e", "c"), ("u", "v"), ("h", "b"), ("S", "5")]  # fmt: skip
