"""Word lists for `domain.redaction`: honorifics, roles, everyday words, Bengkulu places, given names.

Everything here is lower case and compared with lower-cased tokens. The lists are written by hand for
Indonesian complaints; they are what tells "Pak Camat" (a role, stays) from "Pak Budi" (a person, goes) and
"saya sudah" (a verb) from "saya Dewi" (a name).
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that stand before a person's name ("Pak Budi", "Ibu Hj. Siti", "Sdr. Andi").
HONORIFICS = _words("""
bapak pak bpk bp ibu bu ibuk buk sdr sdri saudara saudari mas mbak mba kak kakak bang abang adik dik dek
haji h hj hajjah hajah tuan nyonya ny nona om tante uda uni wak datuk ustadz ustad ust ustazah ustadzah
kyai kiai almarhum alm almarhumah almh mister mr mrs ms miss bro sis cak ning teteh teh akang kang
""")

# Roles and offices: "Pak Camat", "Ibu Kepala Dinas", "Bapak Walikota", "Pak RT" are not names.
ROLES = _words("""
camat lurah kades kadus sekdes sekcam sekda sekretaris kepala kadis kabid kasi kasubag kasubbag kabag kapolsek
kapolres kapolda kapolri danramil dandim babinsa bhabinkamtibmas walikota wali wakil wawali bupati wabup gubernur
wagub presiden menteri direktur dirut manajer manager ketua wakil anggota dewan dprd dpr rt rw pj plt plh pjs
dokter dr bidan perawat mantri guru dosen kepsek rektor dekan ustadz imam khatib petugas pegawai staf staff
karyawan satpam security polisi tentara sopir supir kernet kurir operator admin pengurus pemilik pengelola
penjaga tukang kontraktor mandor pengawas inspektur auditor hakim jaksa notaris pengacara ombudsman
pejabat pimpinan atasan bawahan warga masyarakat pelapor terlapor korban saksi pasien siswa murid mahasiswa
pedagang nelayan petani buruh ojek pemulung tetangga semua sekalian yth terhormat kita kami mereka dia beliau
dinas badan kantor bagian bidang seksi unit upt uptd pln pdam dlh pupr dishub dukcapil bpbd satpol pp
puskesmas rsud rumah sakit sekolah desa kelurahan kecamatan kabupaten kota provinsi pemkot pemkab pemprov
pemda pemerintah damkar bpjs kemenag kua polsek polres koramil kodim wr wb cv pt ud tbk koperasi
kelompok yayasan
""")

# Everyday words that may follow "saya", "nama", an honorific or a sign-off and are not names.
STOP = _words("""
saya aku sy gue gw kami kita anda kamu dia ia mereka beliau ini itu tersebut yang dan atau dengan di ke dari
pada untuk bagi oleh karena sebab agar supaya jika kalau bila maka lalu kemudian sudah telah belum sedang akan
masih juga pun hanya saja lagi sangat sekali mohon tolong minta harap berharap terima kasih selamat salam hormat
sebagai selaku adalah ialah merupakan yaitu yakni warga penduduk tinggal bertempat berdomisili domisili
rumah melapor melaporkan mengadu mengadukan menyampaikan ingin mau bisa dapat tidak tak bukan ada punya
pernah selalu sering baru lama sejak sampai hingga setiap tiap semua para banyak beberapa sedikit satu dua
tiga empat lima enam tujuh delapan sembilan sepuluh pertama kedua ketiga nomor no nama lengkap alamat
pelapor selaku kepada yth bersama beserta serta sendiri pribadi tadi kemarin besok hari ini sore pagi malam
siang tanggal bulan tahun jam pukul minggu senin selasa rabu kamis jumat sabtu pelanggan nasabah pengguna
jalan jl jln gang gg rt rw blok perum komplek kompleks desa dusun kelurahan kecamatan kel kec kab kota
sehat sakit hamil menyusui lansia janda duda yatim piatu disabilitas orang anak istri suami ayah ibu bapak
kakak adik nenek kakek cucu keluarga mertua menantu tetangga teman kawan sekalian semuanya dll dsb dst
bersedia siap merasa melihat mendengar menunggu datang pergi pulang lewat melintas sekitar dekat depan
belakang samping sebelah seberang ujung tengah atas bawah dalam luar sini sana situ mana apa siapa kapan
bagaimana mengapa kenapa berapa benar betul memang ya iya oke ok baik terimakasih makasih trims thanks
assalamualaikum wassalam wassalamualaikum pak bu the of a an nik kk ktp npwp bpjs hp wa telp
telepon tlp email surel rek rekening norek nomor no nip nisn kis sim
""")

# Bengkulu places (regencies, districts, towns, well-known quarters): a capitalised word after a role is a
# place here, not a person ("Pak Camat Ratu Agung").
PLACES = _words("""
bengkulu curup manna arga makmur tais kepahiang lebong mukomuko kaur seluma bintuhan karang tinggi muara aman
rejang selatan utara tengah gading cempaka ratu agung samban selebar teluk segara sungai serut bangkahulu
kampung melayu singaran pati pematang lingkar barat timur padang jati harapan anggut atas bawah
kebun tebeng sawah lebar lempuing nusa indah pagar dewa sukarami panorama kandang limun betungan jembatan kecil
tanah patah pasar minggu simpang lima tapak paderi malabero pantai panjang tanjung jaya gedang
kemumu ketahun lais padang kedondong pondok kelapa talang empat donok air sebakul enggano pino raya
ulu manna seginim kedurang tebat karai ujan mas bermani ilir hulu sindang kelingi lubuk durian binduriang
""")

# Common Indonesian given names and family names (Malay, Javanese, Sundanese, Rejang, Serawai, Minang, Batak,
# Arabic and Christian forms), for "pak budi" in lower case and "Saya Dewi" where the word is also a word.
GIVEN_NAMES = _words("""
nasution harahap siregar lubis hasibuan simanjuntak sembiring ginting pohan saragih manurung pardede batubara
sinaga simatupang panjaitan hutapea situmorang sitompul tarigan damanik marpaung napitupulu pasaribu sihombing
silalahi simbolon sitorus tampubolon tambunan purba rangkuti daulay matondang hutagalung sianturi rambe
ritonga dalimunthe tanjung chaniago piliang koto sikumbang caniago hakim effendi effendy saputra wijaya
abdul abdullah abu achmad ade adi adit aditya adam adi agus agustina agung ahmad aidil aini ajeng akbar
alfian ali alif amalia amanda amir aminah amin anang andi andika andre andri anggi anggraini angga ani anisa
anita anton antonius anwar apriyanti ardi arief arif ariyanto arman aryani asep asih astuti atik ayu azhar
bagus bambang bayu benny bima bonar budi budiman cahya cahyadi candra citra dadang dani danu darmawan david
dedi dedy deni denny desi devi dewi dian diana dimas dina dodi dodik doni dwi eka eko elisabeth elly endang
erna erwin evi fadli fahmi fajar farhan fatimah fauzi fauzan febri fikri fitri fitria gilang gunawan hadi
hafiz hamzah handayani hani hanif haris hartono hasan hasanah hendra hendri heri hermawan hidayat ida ihsan
ikhsan ilham imam iman indah indra irawan irfan irma iwan jaka joko johan jufri juliana kartika khairul kiki
komariah kurnia kurniawan laila lestari lia lina lisa lukman lusi maharani mahmud maman marlina maria marni
maya mega melati mira muhammad mulyadi mulyani nadia nanda nia nina nining novi nurul nur nuraini nurhayati
oktavia panji permata pratama prasetyo puspita putri rahayu rahman rahmat rahmi raja rama ratna reza
ria rina rini risky rizky rizki robby rudi rusdi sahrul saiful sakinah salim santi santoso sari satria setiawan
siti slamet sri sugeng suharto sukarno sulastri sumarni supriyadi suryani susanti susilo syafrudin syahrul
taufik tika tono tri tuti ujang umar untung vina wahyu wahyuni wati wawan widya wulan yanti yoga yudi yuli
yuliana yusuf yusuf zainal zaki zulkifli zul yeni yogi hendrik rosa rosita samsul syamsul jamal kamal
darmin darwis darsono sumardi suparman sutrisno sapri sarwan marzuki mukhtar muklis nasrul rusli yusri
erlina herlina wiwin wiwik neneng ratih sinta sintia tiara anjani dinda salsabila nabila aulia zahra
""")
